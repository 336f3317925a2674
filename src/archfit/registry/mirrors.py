"""Mirrors as the nodes see them: k3s `registries.yaml` and containerd `hosts.toml` directories.

k3s (`/etc/rancher/k3s/registries.yaml`):

    mirrors:
      docker.io:
        endpoint: ["https://mirror.lan:5000"]
        rewrite: {"^library/(.*)": "hub/library/$1"}
      "*": {endpoint: ["https://all.lan"]}       # every registry without its own entry
    configs:
      mirror.lan:5000:                            # keyed by endpoint host
        auth: {username: u, password: p}          # or auth: base64, identitytoken
        tls: {ca_file: /ca.pem, cert_file: …, key_file: …, insecure_skip_verify: false}

Endpoints are tried in order; the registry's own ("default") endpoint is tried last and gets no
rewrites (k3s documents both).

containerd (`config_path`, e.g. `/etc/containerd/certs.d`): `<dir>/<registry>/hosts.toml`, or
`<dir>/_default/hosts.toml` for registries without a directory:

    server = "https://registry-1.docker.io"      # the default endpoint (optional)
    [host."https://mirror.lan"]
      capabilities = ["pull", "resolve"]           # without "resolve": by digest only
      ca = "/ca.pem"                               # or a list
      client = [["/cert.pem", "/key.pem"]]         # or "/both.pem"
      skip_verify = false
      override_path = false

Hosts are tried in file order, then `server`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from archfit.registry.credentials.dockerconfig import credential_from_auth_entry
from archfit.registry.credentials.interface import Credential
from archfit.registry.endpoints import (
    Endpoint,
    TLSConfig,
    api_host,
    default_endpoint,
    endpoint_from_url,
)
from archfit.registry.errors import RegistryConfigError

__all__ = ["MirrorMap", "load_hosts_dir", "load_registries_yaml"]


@dataclass
class MirrorMap:
    """Registry name → endpoints to try in order (mirrors, then the registry itself)."""

    mirrors: dict[str, tuple[Endpoint, ...]] = field(default_factory=dict)
    defaults: dict[str, Endpoint] = field(default_factory=dict)
    insecure: frozenset[str] = frozenset()
    tls: TLSConfig = field(default_factory=TLSConfig)
    _memo: dict[str, tuple[Endpoint, ...]] = field(default_factory=dict, repr=False)

    def endpoints(self, registry: str) -> tuple[Endpoint, ...]:
        found = self._memo.get(registry)
        if found is None:
            mirrors = self.mirrors.get(registry, self.mirrors.get("*", ()))
            default = self.defaults.get(registry) or self.defaults.get(api_host(registry))
            if default is None:
                default = default_endpoint(
                    registry,
                    insecure=registry in self.insecure or api_host(registry) in self.insecure,
                    tls=self.tls,
                )
            found = (*mirrors, default)
            self._memo[registry] = found
        return found

    def merge(self, other: MirrorMap) -> MirrorMap:
        return MirrorMap(
            {**self.mirrors, **other.mirrors},
            {**self.defaults, **other.defaults},
            self.insecure | other.insecure,
            other.tls if other.tls != TLSConfig() else self.tls,
        )


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RegistryConfigError("expected a mapping", where=where)
    return value


def _tls_from_k3s(raw: Mapping[str, Any], where: str) -> TLSConfig:
    ca = raw.get("ca_file")
    return TLSConfig(
        ca_files=(str(ca),) if ca else (),
        cert_file=str(raw["cert_file"]) if raw.get("cert_file") else None,
        key_file=str(raw["key_file"]) if raw.get("key_file") else None,
        insecure_skip_verify=bool(raw.get("insecure_skip_verify", False)),
    )


def load_registries_yaml(path: Path) -> MirrorMap:
    """Read a k3s/RKE2 `registries.yaml`."""
    where = str(path)
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except OSError as err:
        raise RegistryConfigError(f"cannot read: {err.strerror}", where=where) from None
    except yaml.YAMLError as err:
        raise RegistryConfigError(f"not YAML: {err}", where=where) from None
    doc = _mapping(doc, where)
    configs: dict[str, tuple[TLSConfig, Credential | None]] = {}
    for host, raw_config in _mapping(doc.get("configs"), f"{where}: configs").items():
        here = f"{where}: configs.{host}"
        raw = _mapping(raw_config, here)
        tls = _tls_from_k3s(_mapping(raw.get("tls"), f"{here}.tls"), here)
        auth = raw.get("auth")
        cred = (
            credential_from_auth_entry(auth, source=where, where=f"{here}.auth") if auth else None
        )
        configs[_host_of(str(host))] = (tls, cred)
    result = MirrorMap()
    for registry, raw_mirror in _mapping(doc.get("mirrors"), f"{where}: mirrors").items():
        here = f"{where}: mirrors.{registry}"
        raw = _mapping(raw_mirror, here)
        urls = raw.get("endpoint") or []
        if not isinstance(urls, list):
            raise RegistryConfigError("expected a list of URLs", where=f"{here}.endpoint")
        rewrites = _rewrites(_mapping(raw.get("rewrite"), f"{here}.rewrite"), f"{here}.rewrite")
        endpoints = []
        for url in urls:
            host = _host_of(str(url))
            tls, cred = configs.get(host, (TLSConfig(), None))
            endpoint = endpoint_from_url(
                str(url), where=f"{here}.endpoint", tls=tls, rewrites=rewrites, credential=cred
            )
            if endpoint.host == api_host(str(registry)) and not endpoint.rewrites:
                # The registry listed as its own mirror is simply the default endpoint.
                result.defaults[str(registry)] = endpoint
                continue
            endpoints.append(endpoint)
        result.mirrors[str(registry)] = tuple(endpoints)
    for host, (tls, cred) in configs.items():
        # A config for a registry that is not mirrored still sets its TLS and credential.
        if host not in result.defaults and host != "*":
            result.defaults.setdefault(
                host,
                Endpoint(
                    base=f"https://{api_host(host)}",
                    tls=tls,
                    http_fallback=default_endpoint(host).http_fallback,
                    credential=cred,
                ),
            )
    return result


def _host_of(url: str) -> str:
    text = url.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    return text.split("/", 1)[0].lower()


def _rewrites(raw: Mapping[str, Any], where: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    out = []
    for pattern, replacement in raw.items():
        try:
            out.append((re.compile(str(pattern)), str(replacement)))
        except re.error as err:
            raise RegistryConfigError(
                f"bad regular expression {pattern!r}: {err}", where=where
            ) from None
    return tuple(out)


def load_hosts_dir(directory: Path) -> MirrorMap:
    """Read a containerd `config_path` directory of `<registry>/hosts.toml` files."""
    result = MirrorMap()
    if not directory.is_dir():
        raise RegistryConfigError("not a directory", where=str(directory))
    for sub in sorted(directory.iterdir()):
        file = sub / "hosts.toml"
        if not file.is_file():
            continue
        registry = "*" if sub.name == "_default" else sub.name
        mirrors, default = _load_hosts_toml(file, registry)
        result.mirrors[registry] = mirrors
        if default is not None:
            result.defaults[registry] = default
    return result


def _load_hosts_toml(path: Path, registry: str) -> tuple[tuple[Endpoint, ...], Endpoint | None]:
    where = str(path)
    try:
        doc = tomllib.loads(path.read_text())
    except OSError as err:
        raise RegistryConfigError(f"cannot read: {err.strerror}", where=where) from None
    except tomllib.TOMLDecodeError as err:
        raise RegistryConfigError(f"not TOML: {err}", where=where) from None
    mirrors = []
    for url, raw_host in _mapping(doc.get("host"), f"{where}: host").items():
        here = f"{where}: host.{url}"
        raw = _mapping(raw_host, here)
        caps = raw.get("capabilities", ["pull", "resolve"])
        if not isinstance(caps, list):
            raise RegistryConfigError("expected a list such as [pull, resolve]", where=here)
        if "pull" not in caps:
            continue  # a push-only host is never asked during a pull
        mirrors.append(
            endpoint_from_url(
                str(url),
                where=here,
                override_path=bool(raw.get("override_path", False)),
                tls=_tls_from_containerd(raw, here),
                resolve="resolve" in caps,
                headers=tuple(
                    (str(k), str(v)) for k, v in _mapping(raw.get("header"), here).items()
                ),
            )
        )
    default = None
    server = doc.get("server")
    if server and registry != "*":
        default = endpoint_from_url(
            str(server),
            where=f"{where}: server",
            tls=_tls_from_containerd(doc, where),
            mirror=False,
        )
    return tuple(mirrors), default


def _tls_from_containerd(raw: Mapping[str, Any], where: str) -> TLSConfig:
    ca = raw.get("ca")
    cas = (ca,) if isinstance(ca, str) else tuple(str(c) for c in ca or ())
    client = raw.get("client")
    cert = key = None
    if isinstance(client, str):
        cert = client
    elif isinstance(client, list) and client:
        first = client[0]
        if isinstance(first, list) and first:
            cert, key = str(first[0]), (str(first[1]) if len(first) > 1 else None)
        elif isinstance(first, str):
            cert = first
    return TLSConfig(
        ca_files=cas,
        cert_file=cert,
        key_file=key,
        insecure_skip_verify=bool(raw.get("skip_verify", False)),
    )
