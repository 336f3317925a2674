"""`archfit images inspect`, and the online first run of `check`, `simulate` and `fix`
(`--resolve`): resolve image platforms from registries.

    REF… or manifests (load_manifests → images_in) ──> refs
    refs ──> registry Resolver (cache, mirrors, credentials) ──> Resolution per ref
    Resolution ──> ImageInfo (policy's ImagePlatforms) or a row of `images inspect`
    plan_check_images ──> resolve_missing_images ──> OnlineImages: the lockfile's answers
                                                      topped up online, and their findings

The usecase receives a `Progress` (the CLI passes its terminal's progress bar) and never
imports a UI library. Async I/O happens here once; the CLI calls these with `asyncio.run`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from archfit.errors import InputError
from archfit.model.finding import Finding
from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.policy import ImagePlatforms
from archfit.registry import Resolution, ResolverConfig, open_resolver

if TYPE_CHECKING:
    from archfit.sources import ReadSettings

__all__ = [
    "CHILD_DIGEST_PINNED",
    "CheckImagePlan",
    "OnlineImages",
    "Progress",
    "RegistryStats",
    "ResolvedImages",
    "images_from_paths",
    "inspect_images",
    "plan_check_images",
    "resolution_findings",
    "resolution_json",
    "resolve_missing_images",
    "unreachable_finding",
]

CHILD_DIGEST_PINNED = "child-digest-pinned"


class Progress(Protocol):
    """What long work reports to (the CLI's progress bar satisfies it)."""

    def start(self, total: int, description: str) -> None: ...
    def advance(self, step: int = 1) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True, slots=True)
class PathImages:
    """The images used by manifests, with the problems met while reading them."""

    refs: tuple[ImageRef, ...]
    findings: tuple[Finding, ...]


def images_from_paths(
    paths: Sequence[Path], *, entry: str | None = None, reading: ReadSettings | None = None
) -> PathImages:
    """Every image the manifests under `paths` run, normalised and sorted."""
    from archfit.manifests import images_in  # noqa: PLC0415
    from archfit.sources import ReadSettings  # noqa: PLC0415 - heavy readers

    for path in paths:
        if not path.exists():
            raise InputError("no such file or directory", where=str(path))
    manifests = (reading or ReadSettings()).load(list(paths), entry=entry)
    refs = tuple(ImageRef.parse(text) for text in images_in(manifests))
    return PathImages(refs, tuple(manifests.findings))


async def inspect_images(
    refs: Sequence[ImageRef],
    config: ResolverConfig,
    *,
    progress: Progress | None = None,
    refresh: bool = False,
    on_stats: Callable[[RegistryStats], None] | None = None,
) -> list[Resolution]:
    """Resolve `refs` (in order, each distinct one once). `on_stats` receives the requests
    made and the rate limits the registries announced (for `-v`)."""
    if progress is not None:
        progress.start(len(set(refs)), "resolving images")
    try:
        async with open_resolver(config) as resolver:
            results = await resolver.resolve_many(
                refs,
                refresh=refresh,
                on_done=(lambda _: progress.advance()) if progress is not None else None,
            )
            if on_stats is not None:
                client = resolver.client
                on_stats(
                    RegistryStats(
                        dict(client.requests),
                        {
                            host: (limit.remaining, limit.limit)
                            for host, limit in client.rate_limits.items()
                        },
                    )
                )
            return results
    finally:
        if progress is not None:
            progress.finish()


@dataclass(frozen=True, slots=True)
class RegistryStats:
    """Requests made (`"GET manifest"` → count) and, per host, the last announced
    `(remaining, limit)` of its pull quota (None where a header was absent)."""

    requests: Mapping[str, int]
    rate_limits: Mapping[str, tuple[int | None, int | None]]

    def describe(self) -> str:
        parts = [f"{count} {kind}" for kind, count in sorted(self.requests.items())]
        text = "registry requests: " + (", ".join(parts) if parts else "none")
        for host, (remaining, limit) in sorted(self.rate_limits.items()):
            text += f"; {host} rate limit: {remaining} of {limit} remaining"
        return text


def unreachable_finding(failed: Sequence[Resolution]) -> Finding:
    """One finding listing every image no registry answered for (rather than one per image)."""
    names = ", ".join(sorted(r.ref.familiar for r in failed))
    return Finding(
        "unresolved-images",
        "warning",
        f"{len(failed)} {'image' if len(failed) == 1 else 'images'} could not be resolved "
        f"online, so their platforms are unknown: {names}",
        hint="check the network and registry credentials, or add them to archfit.lock with "
        "`archfit lock` where the registries answer",
        rule="images",
        details={"images": sorted(str(r.ref) for r in failed)},
    )


def resolution_findings(resolution: Resolution) -> list[Finding]:
    """Findings about one resolved image (independent of any workload)."""
    if resolution.child_of is None:
        return []
    platform = ", ".join(str(p) for p in resolution.platforms)
    return [
        Finding(
            CHILD_DIGEST_PINNED,
            "warning",
            f"{resolution.ref.familiar} is pinned to the {platform} manifest inside an index; "
            "every node pulls that one platform",
            subject=str(resolution.ref),
            hint=f"pin the index digest instead: @{resolution.child_of}",
            rule="images",
            details={"index": resolution.child_of},
        )
    ]


def resolution_json(resolution: Resolution) -> dict[str, Any]:
    """The `images inspect --format json` object for one image (documented in docs/registry.md)."""
    return {
        "ref": str(resolution.ref),
        "digest": resolution.digest,
        "kind": resolution.kind,
        "platforms": [str(p) for p in resolution.platforms],
        "platformDigests": dict(resolution.platform_digests),
        "error": resolution.error,
        "errorType": resolution.error_type,
        "stale": resolution.stale,
        "cached": resolution.cached,
        "childOf": resolution.child_of,
        "findings": [
            {"id": f.id, "severity": f.severity, "message": f.message, "hint": f.hint}
            for f in resolution_findings(resolution)
        ],
    }


def image_info(resolution: Resolution) -> ImageInfo:
    if resolution.ok and resolution.digest is not None:
        detail = "stale: registry unreachable, cached answer" if resolution.stale else ""
        return ImageInfo(
            resolution.ref,
            "resolved",
            resolution.digest,
            tuple(sorted(resolution.platforms)),
            detail=detail,
            kind=resolution.kind,
        )
    return ImageInfo(resolution.ref, "error", detail=resolution.error or "not resolved")


class ResolvedImages:
    """`ImagePlatforms` that answers from `base` (the lockfile) and, for what it does not
    resolve, from registry resolutions made beforehand."""

    def __init__(self, base: ImagePlatforms, resolutions: Iterable[Resolution]) -> None:
        self._base = base
        self._resolved: Mapping[ImageRef, Resolution] = {r.ref: r for r in resolutions}

    def lookup(self, ref: ImageRef) -> ImageInfo | None:
        info = self._base.lookup(ref)
        if info is not None and info.status == "resolved":
            return info
        found = self._resolved.get(ref)
        return image_info(found) if found is not None else info


@dataclass(frozen=True, slots=True)
class CheckImagePlan:
    """What `check --resolve` needs: the lockfile's answers, the manifests, and the images the
    lockfile does not answer for (to resolve online with `inspect_images`)."""

    base: ImagePlatforms
    manifests: Any  # archfit.manifests.ManifestSet (imported lazily)
    missing: tuple[ImageRef, ...]

    def images(self, resolutions: Iterable[Resolution]) -> ResolvedImages:
        return ResolvedImages(self.base, resolutions)


def plan_check_images(
    paths: Sequence[Path],
    *,
    lock: Path | None,
    config: Path | None,
    manifests: Any = None,
    reading: ReadSettings | None = None,
) -> CheckImagePlan:
    """Read the manifests (unless given, e.g. the live cluster's) and the lockfile `check`
    would use (the same discovery: `--lock`, else the nearest archfit.lock upwards)."""
    from archfit.manifests import images_in  # noqa: PLC0415
    from archfit.policy import LockfileImages  # noqa: PLC0415
    from archfit.sources import ReadSettings, read_lockfile  # noqa: PLC0415
    from archfit.sources.discovery import LOCK_FILE, discover  # noqa: PLC0415

    targets = [Path(p) for p in paths]
    if not targets and manifests is None:
        raise InputError("no path given; expected a directory or manifest files to check")
    for target in targets:
        if not target.exists():
            raise InputError("no such file or directory", where=str(target))
    lock_path = discover(targets, config=config, lock=lock).lock
    lockfile = read_lockfile(lock_path, optional=True) if lock_path is not None else None
    base = LockfileImages(lockfile, source=lock_path.name if lock_path else LOCK_FILE)
    if manifests is None:
        manifests = (reading or ReadSettings()).load(targets)
    missing = []
    for text in images_in(manifests):
        ref = ImageRef.parse(text)
        info = base.lookup(ref)
        if info is None or info.status != "resolved":
            missing.append(ref)
    return CheckImagePlan(base, manifests, tuple(missing))


@dataclass(frozen=True, slots=True)
class OnlineImages:
    """What a run learned online about the images its lockfile does not answer for: one value
    for every command that resolves them (`check`, `simulate`, `fix`), so they agree."""

    plan: CheckImagePlan
    resolutions: tuple[Resolution, ...]

    @property
    def images(self) -> ResolvedImages:
        """The lockfile's answers, then the registries' for what it lacks."""
        return self.plan.images(self.resolutions)

    @property
    def failed(self) -> tuple[Resolution, ...]:
        return tuple(r for r in self.resolutions if not r.ok)

    def findings(self) -> list[Finding]:
        """Findings about the images themselves (`child-digest-pinned`), and one
        `unresolved-images` listing every image no registry answered for."""
        found = [f for r in self.resolutions for f in resolution_findings(r)]
        if self.failed:
            found.append(unreachable_finding(self.failed))
        return found


async def resolve_missing_images(
    plan: CheckImagePlan, config: ResolverConfig, *, progress: Progress | None = None
) -> OnlineImages:
    """Resolve online (through the cache) the images `plan` found missing from the lockfile;
    a registry that does not answer fails only its images, never the run."""
    resolutions: list[Resolution] = []
    if plan.missing:
        resolutions = await inspect_images(list(plan.missing), config, progress=progress)
    return OnlineImages(plan, tuple(resolutions))
