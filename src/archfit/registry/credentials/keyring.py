"""Match registry keys against image names the way the kubelet does.

The kubelet's credential keyring (`pkg/credentialprovider/keyring.go`) accepts keys such as
`registry.example.com`, `*.example.com:5000/team`, `https://index.docker.io/v1/`. A key matches
an image when:

- the host has the same number of dot-separated labels, each matched as a glob (`*` stands for
  one whole label or part of one, never a dot);
- the ports are equal (no port on one side and a port on the other do not match);
- the key's path is a prefix of the image's repository path, component by component.

More specific keys (longer) are tried first. `index.docker.io`, `registry-1.docker.io` and
`docker.io` all name Docker Hub, and a trailing `/v1/` or `/v2/` on a key is dropped.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["Keyring", "normalize_key", "registry_matches"]

_HUB_HOSTS = {"index.docker.io", "registry-1.docker.io", "docker.io", "registry.hub.docker.com"}

T = TypeVar("T")


def normalize_key(key: str) -> tuple[str, str]:
    """A keyring key as (host[:port], path) with scheme, `/v1/`, `/v2/` and Hub aliases removed."""
    value = key.strip()
    for scheme in ("https://", "http://"):
        if value.lower().startswith(scheme):
            value = value[len(scheme) :]
            break
    host, _, path = value.partition("/")
    path = path.strip("/")
    if path in {"v1", "v2"}:
        path = ""
    for suffix in ("/v1", "/v2"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    host = host.lower()
    if host in _HUB_HOSTS:
        host = "docker.io"
    return host, path


def _split_port(host: str) -> tuple[str, str]:
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1], host[end + 2 :] if end + 1 < len(host) else ""
    name, _, port = host.partition(":")
    return name, port


def registry_matches(key: str, registry: str, repository: str) -> bool:
    """Whether keyring `key` applies to the image `registry/repository`."""
    key_host, key_path = normalize_key(key)
    image_host, _ = normalize_key(registry)
    key_name, key_port = _split_port(key_host)
    image_name, image_port = _split_port(image_host)
    if key_port != image_port:
        return False
    key_labels, image_labels = key_name.split("."), image_name.split(".")
    if len(key_labels) != len(image_labels):
        return False
    for pattern, label in zip(key_labels, image_labels, strict=True):
        if not fnmatch.fnmatchcase(label, pattern):
            return False
    if not key_path:
        return True
    key_parts, image_parts = key_path.split("/"), repository.strip("/").split("/")
    return image_parts[: len(key_parts)] == key_parts


@dataclass
class Keyring(Generic[T]):
    """Values (credentials) stored under keyring keys, looked up kubelet-style."""

    _entries: list[tuple[str, T]] = field(default_factory=list)

    def add(self, key: str, value: T) -> None:
        self._entries.append((key, value))

    def extend(self, items: Iterable[tuple[str, T]]) -> None:
        self._entries.extend(items)

    def lookup(self, registry: str, repository: str) -> list[T]:
        """Every value whose key matches, the most specific (longest normalised key) first."""
        matches = [
            (len("/".join(filter(None, normalize_key(key)))), position, value)
            for position, (key, value) in enumerate(self._entries)
            if registry_matches(key, registry, repository)
        ]
        matches.sort(key=lambda item: (-item[0], item[1]))
        return [value for _, _, value in matches]

    def __len__(self) -> int:
        return len(self._entries)
