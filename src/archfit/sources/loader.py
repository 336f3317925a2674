"""Gathering inputs: files and directories read, sources run with the installed renderers.

`load_manifests` is the adapter half of reading a GitOps tree: it reads the paths given
(`read_documents`), builds a `SourceContext` whose `read`, `files` and `renderers` reach the
real file system and tools, and hands both to the pure `archfit.manifests.objects.expand_documents`.
Given a `progress` observer, it reports files found and decoded and renders finished
(`archfit.sources.progress`); the pure layer never learns of it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from archfit.manifests.documents import ReadResult
from archfit.manifests.objects import ManifestSet, expand_documents
from archfit.manifests.renderers import Renderers
from archfit.manifests.sources import Source, SourceContext
from archfit.model.finding import Finding
from archfit.sources import renderers as installed_renderers
from archfit.sources.files import LocalFiles, plan_files
from archfit.sources.progress import ReadObserver, ReadTally
from archfit.sources.runtime import gc_paused

__all__ = ["load_manifests", "read_documents"]


def read_documents(
    paths: Iterable[Path | str] | Path | str,
    *,
    jobs: int | None = None,
    tally: ReadTally | None = None,
) -> ReadResult:
    """Read files and directories into documents; see `archfit.sources.files` for the contract.

    `jobs` sets how many processes decode files: None or 0 lets archfit decide (the idle
    CPUs, at most 8), 1 reads in this process. Several processes are used only when the input
    is large enough to gain from them (`archfit.sources.parallel`); the result is the same
    either way, in the same order. Raises `InputError` for a negative `jobs` and
    `ParallelReadError` when a worker process fails. `tally` counts the files found and read.
    """
    # Imported on use: the process pool (multiprocessing, concurrent.futures) is only needed
    # once an input is read, and commands that read none should not pay for importing it.
    from archfit.sources.parallel import read_files  # noqa: PLC0415

    if isinstance(paths, str | Path):
        paths = [paths]
    with gc_paused():
        plan = plan_files(paths)
        files = [entry for entry in plan if not isinstance(entry, Finding)]
        if tally is not None:
            tally.found(len(files))
        per_file = iter(
            read_files(files, jobs=jobs, on_read=tally.read if tally is not None else None)
        )
        result = ReadResult()
        for entry in plan:
            if isinstance(entry, Finding):
                result.problems.append(entry)
            else:
                result.extend(next(per_file))
    return result


def load_manifests(
    paths: Iterable[Path | str] | Path | str,
    *,
    sources: Sequence[Source] | None = None,
    offline: bool = True,
    cache_dir: Path | None = None,
    read: Callable[[Sequence[Path]], ReadResult] | None = None,
    jobs: int | None = None,
    renderers: Renderers | None = None,
    entry: str | None = None,
    progress: ReadObserver | None = None,
) -> ManifestSet:
    """Read files and directories and model what they hold; never raises for their content.

    `sources` defaults to the registry `archfit.manifests.sources.SOURCES`. A path that does not
    exist is reported as a finding, like broken YAML; callers that want a usage error for it
    check the paths first. `jobs` caps the processes that decode files (None: archfit decides;
    1: this process only), see `read_documents`. `renderers` defaults to the
    Kustomize and Helm renderers installed here (`archfit.sources.renderers.installed`).
    `entry` selects one entry point (see `archfit.manifests.entrypoints`). `progress` is told
    how far the read has come (`archfit.sources.progress`).
    """
    tally = ReadTally(progress) if progress is not None else None
    reader = read if read is not None else functools.partial(_read_paths, jobs=jobs, tally=tally)
    roots = (paths,) if isinstance(paths, str | Path) else tuple(paths)
    root_paths = tuple(Path(p) for p in roots)
    if renderers is None:
        renderers = installed_renderers.installed()
    if tally is not None:
        renderers = tally.renderers(renderers)
    with gc_paused():
        result = reader(root_paths)
        context = SourceContext(
            roots=root_paths,
            read=reader,
            offline=offline,
            cache_dir=cache_dir,
            renderers=renderers,
            files=LocalFiles(),
        )
        try:
            return expand_documents(result, context, sources=sources, entry=entry)
        finally:
            if tally is not None:
                tally.finish()


def _read_paths(paths: Sequence[Path], *, jobs: int | None, tally: ReadTally | None) -> ReadResult:
    return read_documents(paths, jobs=jobs, tally=tally)
