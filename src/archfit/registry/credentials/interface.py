"""What a credential source is, and the credential value itself.

A `CredentialProvider` answers one question: which credential does a pull of `repository` from
`registry` use? `registry` is the host as written in the image reference (`docker.io`,
`ghcr.io`, `10.0.0.5:5000`), `repository` the path under it. A provider returns None when it has
nothing for that image; it raises `RegistryConfigError` only for a malformed source, and
`AuthenticationError` when a credential program fails. `lookup` is a coroutine: a provider may
run a program (a docker credential helper) and must not block the event loop meanwhile.

A `Credential` never shows its secret: its repr, str and the identity used in in-memory cache
keys are redacted or hashed.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Credential", "CredentialProvider", "StaticProvider"]


@dataclass(frozen=True, slots=True)
class Credential:
    """A username and secret, or (with `identity_token`) an OAuth2 refresh token."""

    username: str = field(repr=False)
    secret: str = field(repr=False)
    identity_token: bool = field(default=False, repr=False)
    source: str = ""  # where it came from, safe to show (a file name or program, not content)

    @property
    def identity(self) -> str:
        """A stable, non-reversible name for in-memory cache keys (never persisted)."""
        digest = hashlib.sha256(f"{self.username}\0{self.secret}".encode()).hexdigest()
        return digest[:16]

    def basic(self) -> str:
        """The value of an `Authorization: Basic …` header."""
        raw = f"{self.username}:{self.secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def __repr__(self) -> str:
        return f"Credential(<redacted>, source={self.source!r})"

    __str__ = __repr__


class CredentialProvider(Protocol):
    async def lookup(self, registry: str, repository: str) -> Credential | None:
        """The credential for pulling `registry/repository`, or None."""
        ...


@dataclass(frozen=True, slots=True)
class StaticProvider:
    """Tries each provider in order and returns the first credential found."""

    providers: tuple[CredentialProvider, ...] = ()

    async def lookup(self, registry: str, repository: str) -> Credential | None:
        for provider in self.providers:
            found = await provider.lookup(registry, repository)
            if found is not None:
                return found
        return None
