"""Registry authentication: challenges, token answers and the token cache. No I/O here.

A registry answers an unauthenticated request with `401` and `WWW-Authenticate`:

    Bearer realm="https://auth.example/token",service="registry.example",scope="repository:x:pull"
    Basic realm="Registry Realm"

For Bearer, the client asks the realm for a token (anonymously, or with Basic credentials, or
with an OAuth2 refresh token), and the answer carries `token` and/or `access_token`,
`expires_in` (seconds, 60 when absent) and optionally `issued_at`. Tokens are cached per
(realm, service, scope, credential identity) until shortly before they expire; the credential
identity is a hash, so no secret is ever a key.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from archfit.registry.errors import AuthenticationError

__all__ = ["Challenge", "TokenCache", "parse_challenge", "parse_token_answer", "pull_scope"]

DEFAULT_EXPIRES_IN = 60.0  # seconds, per the distribution token spec
EXPIRY_SKEW = 10.0  # seconds: renew a little early so a token never expires in flight
_PARAM = re.compile(r'([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # "bearer" or "basic" (lower case)
    realm: str = ""
    service: str = ""
    scope: str = ""


def parse_challenge(header: str | None) -> Challenge | None:
    """Parse the first challenge of a `WWW-Authenticate` header (None when there is none)."""
    if not header or not header.strip():
        return None
    scheme, _, rest = header.strip().partition(" ")
    params = {
        match.group(1).lower(): match.group(2) if match.group(2) is not None else match.group(3)
        for match in _PARAM.finditer(rest)
    }
    return Challenge(
        scheme.lower(),
        params.get("realm", ""),
        params.get("service", ""),
        params.get("scope", ""),
    )


def pull_scope(repository: str) -> str:
    return f"repository:{repository}:pull"


def parse_token_answer(doc: Any, *, now: float) -> tuple[str, float]:
    """(token, expiry as a time.time() value) from a token endpoint's JSON answer."""
    if not isinstance(doc, dict):
        raise AuthenticationError("token endpoint answered something that is not a JSON object")
    token = doc.get("token") or doc.get("access_token")
    if not isinstance(token, str) or not token:
        raise AuthenticationError("token endpoint answered without token or access_token")
    expires_in = doc.get("expires_in")
    lifetime = (
        float(expires_in)
        if isinstance(expires_in, int | float) and expires_in > 0
        else DEFAULT_EXPIRES_IN
    )
    issued = now
    issued_at = doc.get("issued_at")
    if isinstance(issued_at, str):
        try:
            issued = min(now, datetime.fromisoformat(issued_at.replace("Z", "+00:00")).timestamp())
        except ValueError:
            issued = now
    return token, issued + lifetime - EXPIRY_SKEW


@dataclass
class TokenCache:
    """In-memory bearer tokens keyed by (realm, service, scope, credential identity)."""

    _tokens: dict[tuple[str, str, str, str], tuple[str, float]] = field(default_factory=dict)
    fetched: int = 0  # how many tokens were obtained (for tests and benchmarks)

    def get(self, key: tuple[str, str, str, str]) -> str | None:
        found = self._tokens.get(key)
        if found is None:
            return None
        token, expiry = found
        if expiry <= time.time():
            del self._tokens[key]
            return None
        return token

    def put(self, key: tuple[str, str, str, str], token: str, expiry: float) -> None:
        self.fetched += 1
        self._tokens[key] = (token, expiry)

    def __repr__(self) -> str:
        return f"TokenCache({len(self._tokens)} tokens)"
