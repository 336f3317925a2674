"""Platforms (os/arch/variant) as container runtimes understand them.

Normalisation follows containerd's `platforms.Normalize`, the code every Kubernetes node runs
when it picks an entry from an image index: `aarch64`, `arm64/v8` → `arm64`; `x86_64` → `amd64`;
`armhf` → `arm/v7`; `armel` → `arm/v6`; a bare `arm` is `arm/v7`.

Compatibility follows containerd's default matcher (`platforms.Only`): a node also runs older
variants of its own architecture, an `amd64` node runs `386`, and an `arm64` node runs 32-bit
`arm` images only when its kernel offers a 32-bit userland (`NodeCapabilities.runs_32bit`). That
last one is off by default for `arm64` because many arm64 distributions (Talos among them) build
kernels without `COMPAT`, and an image that then fails with `exec format error` is the very thing
archfit exists to prevent.
"""

from __future__ import annotations

from dataclasses import dataclass

from archfit.errors import InvalidValue

__all__ = ["GOARCH", "KNOWN_ARCHITECTURES", "NodeCapabilities", "Platform", "require_goarch"]

# Every architecture Go (and so the kubelet's `kubernetes.io/arch` and an OCI image's
# `architecture`) can name: `go tool dist list`. Anything else in a node or lockfile is a typo.
GOARCH = frozenset(
    {
        "386",
        "amd64",
        "arm",
        "arm64",
        "loong64",
        "mips",
        "mips64",
        "mips64le",
        "mipsle",
        "ppc64",
        "ppc64le",
        "riscv64",
        "s390x",
        "wasm",
    }
)


def require_goarch(arch: str, where: str) -> None:
    """Raise `InvalidValue` at `where` unless `arch` is a Go architecture name."""
    if arch not in GOARCH:
        raise InvalidValue(
            f"unknown architecture {arch!r}; expected a Go architecture name "
            f"({', '.join(sorted(GOARCH))})",
            where=where,
        )


KNOWN_ARCHITECTURES = frozenset(
    {"amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "mips64le", "loong64", "wasm"}
)

_ARCH_ALIASES = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "x64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "i386": "386",
    "i686": "386",
    "x86": "386",
    "armhf": "arm",
    "armel": "arm",
    "armv7l": "arm",
    "armv7": "arm",
    "armv6l": "arm",
    "armv6": "arm",
}
_ALIAS_VARIANT = {
    "armhf": "v7",
    "armel": "v6",
    "armv7l": "v7",
    "armv7": "v7",
    "armv6l": "v6",
    "armv6": "v6",
}
_OS_ALIASES = {"macos": "darwin"}


def _normalize_variant(arch: str, variant: str) -> str:
    if arch == "arm64":
        if variant in {"8", "v8", "v8.0"}:
            return ""
        if variant in {"9", "9.0", "v9.0"}:
            return "v9"
        return variant
    if arch == "arm":
        if variant in {"", "7"}:
            return "v7"
        if variant in {"5", "6", "8"}:
            return "v" + variant
        return variant
    if arch == "amd64" and variant == "v1":
        return ""
    if arch == "386":
        return ""
    return variant


@dataclass(frozen=True, order=True, slots=True)
class Platform:
    """A normalised os/architecture/variant triple; `variant` is "" when there is none."""

    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def of(cls, os: str, architecture: str, variant: str = "") -> Platform:
        """Build a normalised platform from its three parts (any spelling containerd accepts)."""
        os_ = _OS_ALIASES.get(os.strip().lower(), os.strip().lower())
        raw_arch = architecture.strip().lower()
        raw_variant = variant.strip().lower()
        if not raw_arch:
            raise InvalidValue("empty architecture; expected e.g. amd64, arm64, arm/v7")
        arch = _ARCH_ALIASES.get(raw_arch, raw_arch)
        if raw_arch in _ALIAS_VARIANT and not raw_variant:
            raw_variant = _ALIAS_VARIANT[raw_arch]
        return cls(os_ or "linux", arch, _normalize_variant(arch, raw_variant))

    @classmethod
    def parse(cls, text: str, *, default_os: str = "linux") -> Platform:
        """Parse `linux/arm64/v8`, `arm64`, `arm/v7`, `aarch64`, `windows/amd64`, … .

        A single component is an architecture; with two components the first is an os when it
        is not an architecture itself (`arm/v7` is arm, variant v7).
        """
        parts = text.strip().split("/")
        if not text.strip() or any(not p for p in parts) or len(parts) > 3:
            raise InvalidValue(
                f"invalid platform {text!r}; expected ARCH, ARCH/VARIANT or OS/ARCH[/VARIANT]"
            )
        if len(parts) == 1:
            return cls.of(default_os, parts[0])
        if len(parts) == 2:
            first = parts[0].lower()
            if first in _ARCH_ALIASES or first in KNOWN_ARCHITECTURES:
                return cls.of(default_os, parts[0], parts[1])
            return cls.of(parts[0], parts[1])
        return cls.of(parts[0], parts[1], parts[2])

    @property
    def arch(self) -> str:
        """The architecture with its variant, as in `arm/v7` or `arm64`."""
        return f"{self.architecture}/{self.variant}" if self.variant else self.architecture

    def __str__(self) -> str:
        return f"{self.os}/{self.arch}"


@dataclass(frozen=True, slots=True)
class NodeCapabilities:
    """What a node's kernel and runtime can execute besides its native platform.

    `runs_32bit`: the kernel runs the 32-bit userland of its architecture family (`386` on
    `amd64`, `arm/v5…v8` on `arm64`). `None` means the default: on for `amd64` (containerd's
    matcher includes `386` and distribution kernels enable IA32 emulation), off for `arm64`.
    `amd64_level`: the x86-64 micro-architecture level the CPUs support (1-4), for images
    published only as `amd64/v2`/`v3`; `None` is treated as level 1 (baseline).
    """

    runs_32bit: bool | None = None
    amd64_level: int | None = None

    def runs(self, node: Platform, image: Platform) -> bool:
        """Whether a node of platform `node` can run an image built for `image`."""
        if node.os != image.os:
            return False
        if node.architecture == image.architecture:
            return _variant_runs(node, image, self.amd64_level)
        compat = self.runs_32bit
        if node.architecture == "amd64" and image.architecture == "386":
            return True if compat is None else compat
        if node.architecture == "arm64" and image.architecture == "arm":
            return bool(compat) and image.variant in {"v5", "v6", "v7", "v8"}
        return False


def _variant_rank(variant: str) -> int:
    digits = variant.lstrip("v").split(".")[0]
    return int(digits) if digits.isdigit() else 0


def _variant_runs(node: Platform, image: Platform, amd64_level: int | None) -> bool:
    if image.variant == node.variant or not image.variant:
        return True
    if node.architecture == "amd64":
        level = amd64_level if amd64_level is not None else max(_variant_rank(node.variant), 1)
        return _variant_rank(image.variant) <= level
    if node.architecture in {"arm", "arm64"}:
        # An arm/v7 node runs v7, v6 and v5 images; an arm64 node (v8 baseline) runs arm64 of
        # any variant it was declared with or older.
        node_rank = _variant_rank(node.variant) or (8 if node.architecture == "arm64" else 0)
        return _variant_rank(image.variant) <= node_rank
    return False
