"""Where a pull actually goes: endpoints, their TLS settings, and the Docker Hub API host.

An image reference names a registry (`docker.io`, `ghcr.io`, `10.0.0.5:5000`); a node pulls from
one or more *endpoints* for it — configured mirrors first, then the registry itself (the
"default endpoint"). Docker Hub is `docker.io` in references but its API is served by
`registry-1.docker.io`: `api_host` is the one place that maps it.

Plain HTTP is used only for an endpoint whose URL says `http://` (configured explicitly), for a
registry marked insecure, or for a loopback registry (127.0.0.0/8, ::1, localhost) that does not
answer TLS — as Docker allows.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from archfit.model.image import DOCKER_HUB
from archfit.registry.credentials.interface import Credential
from archfit.registry.errors import RegistryConfigError

__all__ = [
    "DOCKER_HUB_API",
    "Endpoint",
    "TLSConfig",
    "api_host",
    "default_endpoint",
    "endpoint_from_url",
    "is_loopback",
]

DOCKER_HUB_API = "registry-1.docker.io"


def api_host(registry: str) -> str:
    """The host serving the distribution API for a registry named in a reference."""
    return DOCKER_HUB_API if registry == DOCKER_HUB else registry


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (with or without a port)."""
    name = host
    if name.startswith("["):
        name = name[1 : name.find("]")]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name.lower() == "localhost" or name.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class TLSConfig:
    """TLS settings for one endpoint; file paths are read when the connection is made."""

    ca_files: tuple[str, ...] = ()
    cert_file: str | None = None
    key_file: str | None = None
    insecure_skip_verify: bool = False


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One place to pull from.

    `base` is `scheme://host[:port]`, `prefix` the API path (`/v2` normally). `http_fallback`
    allows retrying over plain HTTP when TLS fails (loopback or insecure registries only).
    `resolve` is False for a mirror that may only serve content by digest (containerd's `pull`
    capability without `resolve`). `rewrites` map repository names for this endpoint.
    `credential` is the endpoint's own credential from the mirror configuration, if any.
    """

    base: str
    prefix: str = "/v2"
    tls: TLSConfig = TLSConfig()
    http_fallback: bool = False
    resolve: bool = True
    mirror: bool = False
    rewrites: tuple[tuple[re.Pattern[str], str], ...] = ()
    credential: Credential | None = field(default=None, repr=False, compare=False)
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc

    @property
    def scheme(self) -> str:
        return urlsplit(self.base).scheme

    def repository(self, repository: str) -> str:
        """The repository name on this endpoint, after the first matching rewrite."""
        for pattern, replacement in self.rewrites:
            if pattern.search(repository):
                return pattern.sub(_go_template(replacement), repository, count=1)
        return repository

    def url(self, path: str, *, scheme: str | None = None) -> str:
        base = self.base if scheme is None else f"{scheme}://{self.host}"
        return f"{base}{self.prefix}{path}"


def _go_template(replacement: str) -> str:
    """Go's regexp `$1`/`${1}` become Python's `\\g<1>`."""
    return re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", replacement.replace("\\", "\\\\"))


def default_endpoint(
    registry: str, *, insecure: bool = False, tls: TLSConfig | None = None
) -> Endpoint:
    """The registry's own endpoint (always tried last)."""
    host = api_host(registry)
    return Endpoint(
        base=f"https://{host}",
        tls=tls or TLSConfig(),
        http_fallback=insecure or is_loopback(host),
    )


def endpoint_from_url(
    url: str,
    *,
    where: str,
    override_path: bool = False,
    tls: TLSConfig | None = None,
    resolve: bool = True,
    mirror: bool = True,
    rewrites: tuple[tuple[re.Pattern[str], str], ...] = (),
    credential: Credential | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Endpoint:
    """An endpoint from a configured URL. Without a scheme, HTTPS with HTTP fallback on loopback.

    The API path is `/v2` when the URL has none; a path is kept when it ends in `/v2` or with
    `override_path`, and otherwise gets `/v2` appended (containerd's rule).
    """
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise RegistryConfigError(f"expected an http(s) URL, got {url!r}", where=where)
    path = parts.path.rstrip("/")
    if not override_path and not path.endswith("/v2"):
        path = f"{path}/v2"
    return Endpoint(
        base=f"{parts.scheme}://{parts.netloc}",
        prefix=path,
        tls=tls or TLSConfig(),
        http_fallback=parts.scheme == "https" and is_loopback(parts.netloc),
        resolve=resolve,
        mirror=mirror,
        rewrites=rewrites,
        credential=credential,
        headers=headers,
    )
