"""The async client for the OCI distribution API: four calls, authenticated, retried, bounded.

    head_manifest(tag)         HEAD /v2/<repo>/manifests/<tag>    → digest and media type
    get_tagged_manifest(tag)   GET  /v2/<repo>/manifests/<tag>    → digest and body (hashed)
    get_manifest(digest)       GET  /v2/<repo>/manifests/<digest> → body, verified
    get_blob(digest)           GET  /v2/<repo>/blobs/<digest>     → body, verified, bounded

Everything else here serves those four: authentication (`authenticator.Authenticator`: the
challenge remembered per host, bearer tokens cached until they expire, Basic credentials),
plain HTTP only where `Endpoint.http_fallback` allows it, retries of
408/429/5xx and transport errors with exponential backoff and jitter (honouring `Retry-After`),
bounded concurrency overall and per host, `RateLimit-*` headers recorded per host, and every
httpx2 exception translated into `archfit.registry.errors` at this one boundary.

Credentials are only ever sent in headers: never in URLs, logs, errors or cache keys.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import ssl
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from urllib.parse import urlsplit

import httpx2

from archfit.registry.auth import parse_challenge
from archfit.registry.authenticator import Authenticator
from archfit.registry.credentials.interface import CredentialProvider
from archfit.registry.endpoints import Endpoint, TLSConfig
from archfit.registry.errors import (
    AuthenticationError,
    BadResponse,
    ImageNotFound,
    RateLimited,
    RegistryConfigError,
    RegistryError,
    RegistryTimeout,
    RegistryUnavailable,
)
from archfit.registry.httputil import content_type, leading_int, reason, retry_after
from archfit.registry.media import ACCEPT
from archfit.registry.parse import compute_digest, verify_digest
from archfit.registry.settings import RegistrySettings

__all__ = ["RateLimit", "RegistryClient", "TagAnswer"]

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_JITTER = secrets.SystemRandom()


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The last `RateLimit-Limit` / `RateLimit-Remaining` a host sent (None when absent)."""

    limit: int | None
    remaining: int | None


@dataclass(frozen=True, slots=True)
class TagAnswer:
    """What a tag points at. `body` is set when the registry had to be asked with a GET."""

    digest: str
    media_type: str
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class _Request:
    endpoint: Endpoint
    registry: str  # as named in the image reference (for credential lookup)
    repository: str  # on this endpoint
    method: str
    path: str  # under the endpoint's API prefix
    kind: str  # "manifest" or "blob", for request counts
    what: str  # the image, for messages
    max_bytes: int
    follow: bool = False


def _object_request(
    endpoint: Endpoint,
    registry: str,
    repository: str,
    kind: str,
    reference: str,
    *,
    max_bytes: int,
    method: str = "GET",
    follow: bool = False,
) -> _Request:
    """A request for the manifest or blob (`kind`) of `repository` named by `reference`, a
    tag or a digest (digests hold a colon, tags cannot)."""
    separator = "@" if ":" in reference else ":"
    return _Request(
        endpoint,
        registry,
        repository,
        method,
        f"/{repository}/{kind}s/{reference}",
        kind,
        f"{endpoint.host}/{repository}{separator}{reference}",
        max_bytes,
        follow,
    )


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    headers: httpx2.Headers
    body: bytes


_NO_SUCH_NAME = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)


def _name_does_not_exist(err: BaseException) -> bool:
    """Whether a connect error comes from a host name that DNS says does not exist."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return seen.errno in _NO_SUCH_NAME
        seen = seen.__cause__ or seen.__context__
    return False


class RegistryClient:
    """One client per run; use as an async context manager (it owns connection pools)."""

    def __init__(
        self,
        settings: RegistrySettings | None = None,
        credentials: CredentialProvider | None = None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        self.settings = settings or RegistrySettings()
        self._credentials = credentials
        self._transport = transport
        self._ca_bundle = ca_bundle
        self._clients: dict[TLSConfig, httpx2.AsyncClient] = {}
        self._http_hosts: set[str] = set()
        self._probed: set[str] = set()
        # host → (monotonic deadline, message): hosts that could not be reached at all.
        self._unreachable: dict[str, tuple[float, str]] = {}
        self._probe_locks: dict[str, asyncio.Lock] = {}
        self._all = asyncio.Semaphore(self.settings.max_concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}
        self.requests: Counter[str] = Counter()  # "GET manifest" → count, for budgets
        self._auth = Authenticator(credentials, self._client_for, self.requests)
        self.tokens = self._auth.tokens
        self.rate_limits: dict[str, RateLimit] = {}

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def __repr__(self) -> str:
        return f"RegistryClient({len(self._clients)} pools, {sum(self.requests.values())} requests)"

    # -- the three calls -------------------------------------------------------------------

    async def head_manifest(
        self, endpoint: Endpoint, registry: str, repository: str, tag: str
    ) -> TagAnswer:
        """Resolve a tag. Uses HEAD (not counted as a pull by Docker Hub); falls back to GET
        only when the registry sends no `Docker-Content-Digest`."""
        request = _object_request(
            endpoint, registry, repository, "manifest", tag, max_bytes=0, method="HEAD"
        )
        reply = await self._exchange(request)
        digest = reply.headers.get("docker-content-digest", "")
        if digest and ":" in digest:
            return TagAnswer(digest, content_type(reply.headers))
        request = replace(request, method="GET", max_bytes=self.settings.max_manifest_bytes)
        reply = await self._exchange(request)
        return TagAnswer(compute_digest(reply.body), content_type(reply.headers), reply.body)

    async def get_tagged_manifest(
        self, endpoint: Endpoint, registry: str, repository: str, tag: str
    ) -> TagAnswer:
        """Resolve a tag and fetch its manifest in one GET. The body is hashed: a
        `Docker-Content-Digest` that disagrees with it is a `DigestMismatch`."""
        reply = await self._exchange(
            _object_request(
                endpoint,
                registry,
                repository,
                "manifest",
                tag,
                max_bytes=self.settings.max_manifest_bytes,
            )
        )
        media_type = content_type(reply.headers)
        claimed = reply.headers.get("docker-content-digest", "")
        if claimed and ":" in claimed:
            verify_digest(reply.body, claimed, media_type)
            return TagAnswer(claimed, media_type, reply.body)
        return TagAnswer(compute_digest(reply.body), media_type, reply.body)

    async def get_manifest(
        self, endpoint: Endpoint, registry: str, repository: str, digest: str
    ) -> tuple[bytes, str]:
        """The manifest stored under `digest`, verified; returns (body, media type)."""
        reply = await self._exchange(
            _object_request(
                endpoint,
                registry,
                repository,
                "manifest",
                digest,
                max_bytes=self.settings.max_manifest_bytes,
            )
        )
        media_type = content_type(reply.headers)
        verify_digest(reply.body, digest, media_type)
        return reply.body, media_type

    async def get_blob(
        self, endpoint: Endpoint, registry: str, repository: str, digest: str
    ) -> bytes:
        """A blob (an image config), verified against its digest and bounded in size."""
        reply = await self._exchange(
            _object_request(
                endpoint,
                registry,
                repository,
                "blob",
                digest,
                max_bytes=self.settings.max_config_bytes,
                follow=True,
            )
        )
        verify_digest(reply.body, digest)
        return reply.body

    # -- one request, with auth and retries ------------------------------------------------

    async def _exchange(self, request: _Request) -> _Reply:
        """One request with auth and retries. The first exchange with a host goes alone: it
        finds out the scheme (plain HTTP fallback) and the authentication challenge, so the
        requests queued behind it neither all fail TLS nor all collect a 401."""
        host = request.endpoint.host
        if host not in self._probed:
            lock = self._probe_locks.setdefault(host, asyncio.Lock())
            async with lock:
                if host not in self._probed:
                    try:
                        return await self._exchange_now(request)
                    finally:
                        self._probed.add(host)
        return await self._exchange_now(request)

    async def _exchange_now(self, request: _Request) -> _Reply:
        endpoint, registry, repository = request.endpoint, request.registry, request.repository
        what = request.what
        settings = self.settings
        attempt = 0
        challenged = False
        while True:
            quota = self.rate_limits.get(endpoint.host)
            if (
                quota is not None
                and quota.remaining == 0
                and request.kind == "manifest"
                and (request.method == "GET")
            ):
                # The registry said the pull quota is spent: a manifest GET would only collect
                # a 429 (and, on some registries, extend the penalty). HEADs stay free.
                raise RateLimited(f"{what}: pull quota exhausted (RateLimit-Remaining: 0)")
            dead = self._unreachable.get(endpoint.host)
            if dead is not None and time.monotonic() < dead[0]:
                raise RegistryUnavailable(dead[1])
            headers = {"Accept": ACCEPT, **dict(endpoint.headers)}
            authorization = await self._auth.authorization(endpoint, registry, repository)
            if authorization:
                headers["Authorization"] = authorization
            try:
                reply = await self._send(request, headers)
            except RegistryError as err:
                attempt += 1
                if isinstance(err, RegistryUnavailable) and attempt >= settings.attempts:
                    self._mark_unreachable(endpoint.host, str(err))
                if not err.transient or attempt >= settings.attempts:
                    raise
                await asyncio.sleep(self._backoff(attempt))
                continue
            except httpx2.RemoteProtocolError:
                attempt += 1
                if attempt >= settings.attempts:
                    raise BadResponse(
                        f"{what}: the connection closed before the response was complete"
                    ) from None
                await asyncio.sleep(self._backoff(attempt))
                continue
            self._note_rate_limit(endpoint.host, reply.headers)
            status = reply.status
            if status == 401:
                challenge = parse_challenge(reply.headers.get("www-authenticate"))
                if challenged or challenge is None:
                    note = await self._auth.credential_note(endpoint, registry, repository)
                    raise AuthenticationError(f"{what}: unauthorized ({note})")
                challenged = True
                self._auth.challenged(endpoint.host, challenge)
                continue
            if status in RETRY_STATUSES:
                attempt += 1
                wait_hint = retry_after(reply.headers.get("retry-after"))
                if (
                    status == 429
                    and wait_hint is not None
                    and (wait_hint > settings.max_retry_after)
                ):
                    raise RateLimited(
                        f"{what}: rate limited (429), retry after {wait_hint:g}s",
                        retry_after=wait_hint,
                    )
                if attempt >= settings.attempts:
                    if status == 429:
                        raise RateLimited(
                            f"{what}: rate limited (429) after {attempt} attempts",
                            retry_after=wait_hint,
                        )
                    if status == 408:
                        raise RegistryTimeout(
                            f"{what}: request timeout (408) after {attempt} tries"
                        )
                    raise RegistryUnavailable(
                        f"{what}: server error {status} after {attempt} tries"
                    )
                delay = wait_hint if wait_hint is not None else self._backoff(attempt)
                await asyncio.sleep(delay)
                continue
            if status == 403:
                raise AuthenticationError(f"{what}: access denied (403)")
            if status == 404:
                raise ImageNotFound(f"{what}: not found (404)")
            if status != 200:
                raise BadResponse(f"{what}: unexpected HTTP status {status}")
            return reply

    def _backoff(self, attempt: int) -> float:
        base = min(self.settings.backoff_max, self.settings.backoff_base * 3 ** (attempt - 1))
        return float(base * _JITTER.uniform(0.9, 1.1))

    def _mark_unreachable(self, host: str, message: str) -> None:
        """Fail `host`'s requests at once with `message` for `unreachable_ttl` seconds."""
        self._unreachable[host] = (time.monotonic() + self.settings.unreachable_ttl, message)

    async def _send(self, request: _Request, headers: Mapping[str, str]) -> _Reply:
        endpoint, method, path = request.endpoint, request.method, request.path
        kind = request.kind
        host = endpoint.host
        client = self._client_for(endpoint.tls)
        plain = host in self._http_hosts
        url = endpoint.url(path, scheme="http" if plain else None)
        semaphore = self._per_host.get(host)
        if semaphore is None:
            semaphore = asyncio.Semaphore(self.settings.per_registry_concurrency)
            self._per_host[host] = semaphore
        async with self._all, semaphore:
            self.requests[f"{method} {kind}"] += 1
            try:
                return await self._stream(client, request, url, headers)
            except httpx2.ConnectError as err:
                if endpoint.http_fallback and not plain and endpoint.scheme == "https":
                    # A loopback or insecure registry that does not speak TLS: as Docker does,
                    # try plain HTTP once and remember it for this host.
                    self._http_hosts.add(host)
                    try:
                        return await self._stream(
                            client, request, endpoint.url(path, scheme="http"), headers
                        )
                    except httpx2.ConnectError:
                        self._http_hosts.discard(host)
                        raise RegistryUnavailable(f"cannot connect to {host}") from None
                    except httpx2.TimeoutException:
                        raise RegistryTimeout(f"{host} did not answer in time") from None
                unavailable = RegistryUnavailable(f"cannot connect to {host}: {reason(err)}")
                if _name_does_not_exist(err):
                    # NXDOMAIN is an answer, not a hiccup (Go's net.DNSError is not Temporary
                    # for it either): asking again within seconds cannot change it.
                    unavailable.transient = False
                    self._mark_unreachable(host, str(unavailable))
                raise unavailable from None
            except httpx2.TimeoutException:
                raise RegistryTimeout(
                    f"{host} did not answer within {self.settings.read_timeout:g}s"
                ) from None
            except httpx2.RemoteProtocolError:
                raise
            except (httpx2.UnsupportedProtocol, httpx2.InvalidURL) as err:
                raise RegistryConfigError(f"bad registry URL for {host}: {reason(err)}") from None
            except httpx2.HTTPError as err:
                raise RegistryUnavailable(f"{host}: {type(err).__name__}: {reason(err)}") from None

    async def _stream(
        self, client: httpx2.AsyncClient, request: _Request, url: str, headers: Mapping[str, str]
    ) -> _Reply:
        method, max_bytes, follow = request.method, request.max_bytes, request.follow
        async with client.stream(method, url, headers=headers, follow_redirects=follow) as resp:
            declared = resp.headers.get("content-length")
            too_big = BadResponse(f"{urlsplit(url).netloc}: response larger than {max_bytes} bytes")
            if method == "HEAD" or resp.status_code != 200:
                # Error bodies are read only to keep the connection reusable, and bounded.
                body = b""
                if method != "HEAD":
                    async for chunk in resp.aiter_bytes():
                        body += chunk
                        if len(body) > 65536:
                            break
                return _Reply(resp.status_code, resp.headers, body)
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise too_big
            parts: list[bytes] = []
            size = 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise too_big
                parts.append(chunk)
            return _Reply(resp.status_code, resp.headers, b"".join(parts))

    def _client_for(self, tls: TLSConfig) -> httpx2.AsyncClient:
        client = self._clients.get(tls)
        if client is None:
            settings = self.settings
            limits = httpx2.Limits(
                max_connections=settings.max_concurrency,
                max_keepalive_connections=settings.max_concurrency,
            )
            timeout = httpx2.Timeout(
                settings.read_timeout, connect=settings.connect_timeout, pool=None
            )
            if self._transport is not None:
                client = httpx2.AsyncClient(
                    transport=self._transport, timeout=timeout, limits=limits
                )
            else:
                client = httpx2.AsyncClient(
                    verify=self._ssl_context(tls),
                    http2=settings.http2,
                    timeout=timeout,
                    limits=limits,
                )
            self._clients[tls] = client
        return client

    def _ssl_context(self, tls: TLSConfig) -> ssl.SSLContext:
        context = ssl.create_default_context()
        try:
            if tls.insecure_skip_verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            for ca in (*tls.ca_files, *((self._ca_bundle,) if self._ca_bundle else ())):
                context.load_verify_locations(cafile=ca)
            if tls.cert_file:
                context.load_cert_chain(tls.cert_file, tls.key_file)
        except (OSError, ssl.SSLError) as err:
            raise RegistryConfigError(f"cannot load TLS files: {reason(err)}") from None
        return context

    def _note_rate_limit(self, host: str, headers: httpx2.Headers) -> None:
        limit, remaining = headers.get("ratelimit-limit"), headers.get("ratelimit-remaining")
        if limit is None and remaining is None:
            return
        self.rate_limits[host] = RateLimit(leading_int(limit), leading_int(remaining))
