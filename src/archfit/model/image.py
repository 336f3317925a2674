"""Container image references, normalised as Docker and containerd normalise them.

Grammar from the distribution project's `reference` package: `[domain[:port]/]path[:tag][@digest]`.
The first path component is a domain when it contains `.` or `:` or is `localhost` (or has an
upper-case letter); otherwise the image lives on Docker Hub (`docker.io`), and a single component
is an official image under `library/`. `index.docker.io` is `docker.io`. A reference with neither
tag nor digest means `:latest`. A reference with both keeps both: the runtime pulls by digest.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from archfit.errors import InvalidValue

__all__ = ["DOCKER_HUB", "ImageRef"]

DOCKER_HUB = "docker.io"
_LEGACY_HUB = {"index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")
_DOMAIN = re.compile(
    r"^(?:\[[0-9a-fA-F:]+\]|(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)"
    r"(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*)(?::[0-9]+)?$"
)
_HEX_LEN = {"sha256": 64, "sha384": 96, "sha512": 128}


@dataclass(frozen=True, order=True, slots=True)
class ImageRef:
    """A fully qualified image reference: `registry/repository[:tag][@digest]`."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        """Parse and normalise a reference as written in a pod spec."""
        # The same references repeat across a tree and values are immutable: share them.
        return _parse_cached(text) if cls is ImageRef else cls._parse(text)

    @classmethod
    def _parse(cls, text: str) -> ImageRef:
        raw = text.strip()
        if not raw:
            raise InvalidValue("empty image reference")
        if raw != text or any(c.isspace() for c in raw):
            raise InvalidValue(f"invalid image reference {text!r}: contains white space")
        name, digest = raw, None
        if "@" in raw:
            name, digest = raw.split("@", 1)
            if not _DIGEST.match(digest):
                raise InvalidValue(f"invalid image reference {text!r}: bad digest {digest!r}")
            algorithm, hex_part = digest.split(":", 1)
            expected = _HEX_LEN.get(algorithm)
            if expected is not None and (
                len(hex_part) != expected or not re.fullmatch("[0-9a-f]+", hex_part)
            ):
                raise InvalidValue(
                    f"invalid image reference {text!r}: "
                    f"{algorithm} digest needs {expected} hex digits"
                )
        tag = None
        last_slash = name.rfind("/")
        colon = name.rfind(":")
        if colon > last_slash:
            name, tag = name[:colon], name[colon + 1 :]
            if not _TAG.match(tag):
                raise InvalidValue(f"invalid image reference {text!r}: bad tag {tag!r}")
        registry, path = _split_domain(name, text)
        components = path.split("/")
        for component in components:
            if not _COMPONENT.match(component):
                raise InvalidValue(
                    f"invalid image reference {text!r}: repository component {component!r} must be "
                    "lower-case letters, digits and separators"
                )
        if registry == DOCKER_HUB and len(components) == 1:
            path = f"library/{path}"
        if tag is None and digest is None:
            tag = "latest"
        return cls(registry, path, tag, digest)

    @property
    def name(self) -> str:
        """`registry/repository`, without tag or digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def pinned(self) -> bool:
        """True when the reference names content by digest."""
        return self.digest is not None

    @property
    def familiar(self) -> str:
        """The short form people write: `nginx:1.27`, `ghcr.io/x/y@sha256:…`."""
        name = self.name
        if self.registry == DOCKER_HUB:
            name = self.repository.removeprefix("library/")
        return (
            name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")
        )

    def __str__(self) -> str:
        return (
            self.name
            + (f":{self.tag}" if self.tag else "")
            + (f"@{self.digest}" if self.digest else "")
        )


@functools.lru_cache(maxsize=8192)
def _parse_cached(text: str) -> ImageRef:
    return ImageRef._parse(text)


def _split_domain(name: str, text: str) -> tuple[str, str]:
    slash = name.find("/")
    if slash == -1:
        return DOCKER_HUB, name
    first = name[:slash]
    if "." in first or ":" in first or first == "localhost" or first.lower() != first:
        if not _DOMAIN.match(first):
            raise InvalidValue(f"invalid image reference {text!r}: bad registry host {first!r}")
        registry = DOCKER_HUB if first in _LEGACY_HUB else first
        rest = name[slash + 1 :]
        if not rest:
            raise InvalidValue(f"invalid image reference {text!r}: missing repository")
        return registry, rest
    return DOCKER_HUB, name
