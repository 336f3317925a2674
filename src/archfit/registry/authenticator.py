"""Registry authentication with I/O: credentials per endpoint, challenges, bearer tokens.

The client reports each `WWW-Authenticate` challenge here (remembered per host, so later
requests authenticate up front without another 401) and asks for the `Authorization` header of
every request. Bearer tokens come from the challenge's realm — anonymously, with Basic
credentials, or with an OAuth2 refresh-token grant for identity tokens — and are cached per
(realm, service, scope, credential identity) until shortly before they expire; concurrent
requests for the same token wait for one fetch. Credentials are never sent to a plain-HTTP realm
unless it is on loopback.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx2

from archfit.registry.auth import Challenge, TokenCache, parse_token_answer
from archfit.registry.credentials.interface import Credential, CredentialProvider
from archfit.registry.endpoints import Endpoint, TLSConfig, is_loopback
from archfit.registry.errors import (
    AuthenticationError,
    RateLimited,
    RegistryTimeout,
    RegistryUnavailable,
)
from archfit.registry.httputil import reason, retry_after

__all__ = ["Authenticator"]


class Authenticator:
    def __init__(
        self,
        credentials: CredentialProvider | None,
        client_for: Callable[[TLSConfig], httpx2.AsyncClient],
        requests: Counter[str],
    ) -> None:
        self._credentials = credentials
        self._client_for = client_for
        self.requests = requests
        self.tokens = TokenCache()
        self._challenges: dict[str, Challenge] = {}
        self._token_locks: dict[tuple[str, str, str, str], asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"Authenticator({len(self._challenges)} hosts, {self.tokens!r})"

    def challenged(self, host: str, challenge: Challenge) -> None:
        """Remember how `host` wants to be authenticated (the scope is per request)."""
        self._challenges[host] = Challenge(challenge.scheme, challenge.realm, challenge.service)

    async def credential(
        self, endpoint: Endpoint, registry: str, repository: str
    ) -> Credential | None:
        if endpoint.credential is not None:
            return endpoint.credential
        if endpoint.mirror or self._credentials is None:
            # Pull-secret and docker credentials belong to the registry named in the image;
            # a mirror uses only the credential configured for it.
            return None
        return await self._credentials.lookup(registry, repository)

    async def credential_note(self, endpoint: Endpoint, registry: str, repository: str) -> str:
        cred = await self.credential(endpoint, registry, repository)
        if cred is None:
            return f"no credentials configured for {registry}"
        return f"credentials from {cred.source or 'configuration'} were refused"

    async def authorization(self, endpoint: Endpoint, registry: str, repository: str) -> str | None:
        challenge = self._challenges.get(endpoint.host)
        if challenge is None:
            return None
        credential = await self.credential(endpoint, registry, repository)
        if challenge.scheme == "basic":
            if credential is None:
                raise AuthenticationError(
                    f"{endpoint.host}/{repository}: the registry asks for a password and no "
                    f"credentials are configured for {registry}"
                )
            return credential.basic()
        if challenge.scheme != "bearer" or not challenge.realm:
            raise AuthenticationError(
                f"{endpoint.host}: unsupported authentication scheme {challenge.scheme!r}"
            )
        scope = f"repository:{repository}:pull"
        key = (challenge.realm, challenge.service, scope, credential.identity if credential else "")
        token = self.tokens.get(key)
        if token is None:
            lock = self._token_locks.setdefault(key, asyncio.Lock())
            async with lock:
                token = self.tokens.get(key)
                if token is None:
                    token, expiry = await self._fetch_token(endpoint, challenge, scope, credential)
                    self.tokens.put(key, token, expiry)
        return f"Bearer {token}"

    async def _fetch_token(
        self,
        endpoint: Endpoint,
        challenge: Challenge,
        scope: str,
        credential: Credential | None,
    ) -> tuple[str, float]:
        realm = urlsplit(challenge.realm)
        if realm.scheme not in {"http", "https"} or not realm.netloc:
            raise AuthenticationError(f"{endpoint.host}: token realm is not an http(s) URL")
        if credential is not None and realm.scheme == "http" and not is_loopback(realm.netloc):
            raise AuthenticationError(
                f"{endpoint.host}: refusing to send credentials to a plain-HTTP token realm "
                f"({realm.netloc})"
            )
        params = {"scope": scope}
        if challenge.service:
            params["service"] = challenge.service
        client = self._client_for(endpoint.tls)
        headers: dict[str, str] = {}
        self.requests["GET token"] += 1
        try:
            if credential is not None and credential.identity_token:
                form = {
                    **params,
                    "grant_type": "refresh_token",
                    "refresh_token": credential.secret,
                    "client_id": "archfit",
                }
                resp = await client.post(challenge.realm, data=form)
            else:
                if credential is not None:
                    headers["Authorization"] = credential.basic()
                resp = await client.get(challenge.realm, params=params, headers=headers)
        except httpx2.TimeoutException:
            raise RegistryTimeout(f"token service {realm.netloc} did not answer in time") from None
        except httpx2.HTTPError as err:
            raise RegistryUnavailable(
                f"token service {realm.netloc}: {type(err).__name__}: {reason(err)}"
            ) from None
        if resp.status_code in {401, 403}:
            who = "anonymous pulls are not allowed" if credential is None else "credentials refused"
            raise AuthenticationError(f"token service {realm.netloc} refused {scope} ({who})")
        if resp.status_code == 429:
            raise RateLimited(
                f"token service {realm.netloc}: rate limited (429)",
                retry_after=retry_after(resp.headers.get("retry-after")),
            )
        if resp.status_code >= 500:
            raise RegistryUnavailable(f"token service {realm.netloc}: HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise AuthenticationError(f"token service {realm.netloc}: HTTP {resp.status_code}")
        try:
            doc: Any = json.loads(resp.content)
        except ValueError:
            raise AuthenticationError(f"token service {realm.netloc} did not answer JSON") from None
        return parse_token_answer(doc, now=time.time())
