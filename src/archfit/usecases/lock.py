"""`archfit lock`: resolve every image the manifests use and keep `archfit.lock` in step.

    plan_lock:   paths ──> images_in(load_manifests) ──> refs; archfit.lock (if present)
                 ──> which refs to resolve (missing ones; every tag with --update)
    CLI edge:    asyncio.run(inspect_images(plan.to_resolve, …))      (the registry I/O)
    apply_lock:  resolutions ──> new Lockfile (entries no manifest uses are dropped) ──> write

`--check` compares without writing: the lockfile is *incomplete* when an image has no entry,
*stale* when an entry is no longer used, a pinned digest differs, or (with `--update`, which
asks the registries) a tag now points elsewhere. An image that fails to resolve keeps its old
entry, if any; failures are reported, never written as guesses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from archfit.model.finding import Finding
from archfit.model.image import ImageRef
from archfit.model.lockfile import LockEntry, Lockfile
from archfit.registry import Resolution
from archfit.usecases.images import images_from_paths

if TYPE_CHECKING:
    from archfit.sources import ReadSettings

__all__ = ["LockOutcome", "LockPlan", "apply_lock", "plan_lock"]


@dataclass(frozen=True, slots=True)
class LockPlan:
    path: Path
    old: Lockfile
    wanted: Mapping[str, ImageRef]  # normalised reference → parsed
    to_resolve: tuple[ImageRef, ...]
    findings: tuple[Finding, ...]
    update: bool


@dataclass(frozen=True, slots=True)
class LockOutcome:
    lockfile: Lockfile
    path: Path
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    failed: tuple[Resolution, ...] = ()
    findings: tuple[Finding, ...] = ()
    written: bool = False

    @property
    def up_to_date(self) -> bool:
        """Nothing to add, change or remove."""
        return not (self.added or self.changed or self.removed)


def plan_lock(
    paths: Sequence[Path],
    lock_path: Path,
    *,
    update: bool = False,
    entry_point: str | None = None,
    reading: ReadSettings | None = None,
) -> LockPlan:
    """Read the manifests and the current lockfile; decide what needs resolving."""
    from archfit.sources import read_lockfile  # noqa: PLC0415 - heavy readers

    found = images_from_paths(paths, entry=entry_point, reading=reading)
    old = read_lockfile(lock_path, optional=True)
    wanted = {str(ref): ref for ref in found.refs}
    to_resolve = []
    for key, ref in wanted.items():
        entry = old.entries.get(key)
        missing = entry is None
        moved_tag = update and ref.digest is None
        repinned = entry is not None and ref.digest is not None and entry.digest != ref.digest
        if missing or moved_tag or repinned:
            to_resolve.append(ref)
    return LockPlan(lock_path, old, wanted, tuple(to_resolve), found.findings, update)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _same(old: LockEntry, new: LockEntry) -> bool:
    return (old.digest, old.kind, tuple(sorted(old.platforms)), dict(old.platform_digests)) == (
        new.digest,
        new.kind,
        tuple(sorted(new.platforms)),
        dict(new.platform_digests),
    )


def apply_lock(
    plan: LockPlan,
    resolutions: Iterable[Resolution] | None,
    *,
    write: bool = True,
    now: str | None = None,
) -> LockOutcome:
    """The new lockfile from `plan` and the resolutions of `plan.to_resolve`.

    `resolutions` None means nobody asked a registry (`--check` offline): every reference to
    resolve then counts as added (no entry) or changed (pinned elsewhere). The file is written
    atomically when `write` and something changed (or it does not exist yet).
    """
    old, wanted = plan.old, plan.wanted
    removed = tuple(sorted(set(old.entries) - set(wanted)))
    if resolutions is None:
        pending = [str(r) for r in plan.to_resolve]
        return LockOutcome(
            old,
            plan.path,
            added=tuple(k for k in pending if k not in old.entries),
            changed=tuple(k for k in pending if k in old.entries),
            removed=removed,
            findings=plan.findings,
        )
    stamp = now or _now()
    by_key = {str(r.ref): r for r in resolutions}
    entries: dict[str, LockEntry] = {}
    added: list[str] = []
    changed: list[str] = []
    failed: list[Resolution] = []
    for key in sorted(wanted):
        previous = old.entries.get(key)
        resolution = by_key.get(key)
        if resolution is None or not resolution.ok:
            if resolution is not None:
                failed.append(resolution)
            if previous is not None:
                entries[key] = previous
            continue
        fresh = resolution.lock_entry(stamp)
        if previous is not None and _same(previous, fresh):
            entries[key] = previous  # unchanged: keep its resolvedAt so the diff stays empty
            continue
        entries[key] = fresh
        (changed if previous is not None else added).append(key)
    outcome = LockOutcome(
        Lockfile(entries),
        plan.path,
        added=tuple(added),
        changed=tuple(changed),
        removed=removed,
        failed=tuple(failed),
        findings=plan.findings,
    )
    if not write or (outcome.up_to_date and plan.path.exists()):
        return outcome
    from archfit.sources import write_lockfile  # noqa: PLC0415

    write_lockfile(plan.path, outcome.lockfile)
    return LockOutcome(
        outcome.lockfile,
        plan.path,
        added=outcome.added,
        changed=outcome.changed,
        removed=outcome.removed,
        failed=outcome.failed,
        findings=outcome.findings,
        written=True,
    )
