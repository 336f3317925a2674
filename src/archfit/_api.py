"""The library API: what the commands do, as functions returning the reports they print.

    archfit.check(paths)           -> CheckReport     (`archfit check`)
    archfit.simulate(paths)        -> SimulateReport  (`archfit simulate`)
    archfit.fix(paths)             -> FixOutcome      (`archfit fix`, a dry run unless asked)
    archfit.resolve_images(refs)   -> [Resolution]    (`archfit images inspect`)

Each is a thin layer over `archfit.usecases`, the same code the CLI runs, so a report from the
library and the command's `--format json` never disagree. Inputs are found as the commands find
them (`archfit.sources.discovery`); explicit arguments win. Bad input raises `InputError` whose
message names the argument (`cluster=`), never a command-line flag; network and registry
failures raise the `ArchfitError` subclasses of `archfit.errors`. Nothing here touches process
state (the garbage collector, environment variables): that belongs to the CLI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from archfit.errors import InputError
from archfit.sources.discovery import API_SPELLING

if TYPE_CHECKING:
    from archfit.model.check import CheckReport
    from archfit.model.image import ImageRef
    from archfit.registry import Resolution, ResolverConfig
    from archfit.scheduling.results import SimulateReport
    from archfit.usecases.fix import FixOutcome

__all__ = ["check", "fix", "resolve_images", "simulate"]

PathLike = Path | str


def _paths(paths: Sequence[PathLike] | PathLike) -> list[Path]:
    # A lone path is the common call (`archfit.check("clusters/home")`); a str is a Sequence,
    # so it is recognised before iterating.
    if isinstance(paths, str | Path):
        return [Path(paths)]
    return [Path(p) for p in paths]


def _path(value: PathLike | None) -> Path | None:
    return None if value is None else Path(value)


def check(
    paths: Sequence[PathLike] | PathLike,
    *,
    cluster: PathLike | None = None,
    lock: PathLike | None = None,
    config: PathLike | None = None,
    entry: str | None = None,
) -> CheckReport:
    """Check the manifests under `paths` against the cluster, as `archfit check` does.

    `cluster` (cluster.yaml or `kubectl get nodes -o yaml` output), `lock` (archfit.lock) and
    `config` (archfit.yaml) default to the nearest such file beside the first path or above
    it, up to the repository top. `entry` reads one entry point of a multi-cluster repository
    (e.g. `"clusters/prod"`, see docs/sources.md). Nothing is written and no registry is asked.
    """
    from archfit.usecases.check import run_check  # noqa: PLC0415 - keeps `import archfit` cheap

    return run_check(
        _paths(paths),
        cluster=_path(cluster),
        lock=_path(lock),
        config=_path(config),
        spelling=API_SPELLING,
        entry=entry,
    )


def simulate(
    paths: Sequence[PathLike] | PathLike,
    *,
    cluster: PathLike | None = None,
    lock: PathLike | None = None,
    kubernetes_version: str = "1.32",
    seed: int = 0,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    fail: Sequence[str] = (),
    fail_each: bool = False,
    drain: Sequence[str] = (),
    suggest: bool = False,
    explain: bool = False,
    entry: str | None = None,
) -> SimulateReport:
    """Place every pod of the manifests as kube-scheduler would, as `archfit simulate` does.

    `add` takes node profiles (`"2x raspberry-pi-5-8gb"`); `remove`, `fail` and `drain` take
    node names; `fail_each` runs the N-1 sweep; `suggest` proposes arm64 moves using `lock`.
    """
    from archfit.scheduling.results import SimulateOptions  # noqa: PLC0415
    from archfit.usecases.simulate import run_simulate  # noqa: PLC0415

    options = SimulateOptions(
        cluster=_path(cluster),
        version=kubernetes_version,
        seed=seed,
        add=tuple(add),
        remove=tuple(remove),
        fail=tuple(fail),
        fail_each=fail_each,
        drain=tuple(drain),
        suggest=suggest,
        lock=_path(lock),
        explain=explain,
    )
    return run_simulate(_paths(paths), options, spelling=API_SPELLING, entry=entry)


def fix(
    paths: Sequence[PathLike] | PathLike,
    *,
    dry_run: bool = True,
    cluster: PathLike | None = None,
    lock: PathLike | None = None,
    config: PathLike | None = None,
    patches_dir: PathLike | None = None,
    entry: str | None = None,
) -> FixOutcome:
    """Rewrite the manifests so that each workload carries its placement, as `archfit fix`.

    A dry run by default: the outcome holds the new text of each file and `.diff`; pass
    `dry_run=False` to write the files (each atomically).
    """
    from archfit.usecases.fix import run_fix  # noqa: PLC0415

    return run_fix(
        _paths(paths),
        dry_run=dry_run,
        patches_dir=_path(patches_dir),
        cluster=_path(cluster),
        lock=_path(lock),
        config=_path(config),
        spelling=API_SPELLING,
        entry=entry,
    )


def resolve_images(
    refs: Sequence[str | ImageRef],
    *,
    config: ResolverConfig | None = None,
    refresh: bool = False,
) -> list[Resolution]:
    """The platforms each image reference ships, asked of its registry (through the cache).

    `config` says where credentials, mirrors and the cache come from (defaults: the docker
    config, the user cache directory). A failed image is a `Resolution` with `error` set, not
    an exception. Runs its own event loop: from async code, await
    `archfit.usecases.images.inspect_images` instead.
    """
    from archfit.model.image import ImageRef  # noqa: PLC0415
    from archfit.registry import ResolverConfig  # noqa: PLC0415
    from archfit.usecases.images import inspect_images  # noqa: PLC0415

    if isinstance(refs, str):
        raise InputError("expected a list of image references, got one string", where="refs=")
    parsed: list[ImageRef] = []
    for i, ref in enumerate(refs):
        if isinstance(ref, ImageRef):
            parsed.append(ref)
            continue
        try:
            parsed.append(ImageRef.parse(ref))
        except InputError as err:
            raise InputError(err.message, where=f"refs[{i}]") from None
    return asyncio.run(inspect_images(parsed, config or ResolverConfig(), refresh=refresh))
