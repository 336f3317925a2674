"""Decoding many files in several processes, with exactly the result of one.

Decoding YAML is CPU-bound Python, so threads do not help; processes do. `read_files` reads a
list of files and returns one `ReadResult` per file, in order, equal to what
`archfit.sources.files.read_file` returns for each. Large inputs are cut into contiguous chunks
of files of about equal size; workers of a `ProcessPoolExecutor` read chunks from the front and send
back plain values (the decoded bodies with their lines and document numbers, and the
problems), because pickling dicts and lists costs a small fraction of decoding them, while
this process reads chunks from the end until the two meet. The results are put together here
in input order, so the output does not depend on who read what or who finished first.

When several processes are used:
- `jobs` sets the process count, this one included; None or 0 means the CPUs this process may
  use, at most 8; 1 reads in this process (entry points take it from `$ARCHFIT_JOBS`, see
  `archfit.sources.settings`);
- and only for inputs large enough to repay starting workers (`MIN_FILES` files and `MIN_BYTES`
  bytes, measured with `bench/bench_manifests.py --sweep`; `MIN_BYTES_UNFORKED` when workers
  cannot be forked and must import archfit first): below that, one process is faster;
- and, when the count is left to archfit, only on CPUs the load average leaves idle.

Workers start with `fork` on Linux when this process runs a single thread (cheapest: the
modules are already imported); otherwise with `forkserver` (forking a multi-threaded process
can deadlock, and Python 3.12+ warns about it) or `spawn` where neither exists. The executor is
shut down before `read_files` returns, also on error. A worker that fails (a `MemoryError`, or
a process killed by the kernel) makes `read_files` raise `ParallelReadError` naming the files
it was reading, never hang.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from archfit.errors import ArchfitError, InputError
from archfit.manifests.documents import Document, ReadResult
from archfit.model.finding import Finding
from archfit.model.workload import SourceRef
from archfit.sources.files import read_file
from archfit.sources.runtime import ENV_JOBS, gc_paused

__all__ = [
    "MAX_JOBS",
    "MIN_BYTES",
    "MIN_BYTES_UNFORKED",
    "MIN_FILES",
    "ParallelReadError",
    "jobs_setting",
    "planned_workers",
    "read_files",
    "read_files_parallel",
]

MAX_JOBS = 8
# Below these, starting workers and moving results between processes costs more than it saves.
MIN_FILES = 16
MIN_BYTES = 1_000_000
# A worker that is not forked from this process imports archfit first (about 0.4 s).
MIN_BYTES_UNFORKED = 8_000_000
# Chunks per worker: enough to even out files of different sizes, few enough that the cost
# of each task (one round trip through the executor's queues) stays small.
_CHUNKS_PER_WORKER = 4

# One file's result as it crosses between processes: files read, (body, line, document
# number) per document, problems. The file name is added back by the parent.
_Packed = tuple[int, list[tuple[Any, int, int]], list[Finding]]


class ParallelReadError(ArchfitError):
    """A worker process failed while reading manifests (out of memory, killed)."""


def jobs_setting(jobs: int | None = None) -> int:
    """The worker cap: `jobs`, else (None or 0) the usable CPUs, at most `MAX_JOBS`. Raises
    `InputError` for a value that is not a whole number >= 0."""
    requested = _requested(jobs)
    return requested if requested > 0 else min(_usable_cpus(), MAX_JOBS)


def _requested(jobs: int | None) -> int:
    """The process count asked for by `jobs`; 0 when left to archfit."""
    if jobs is None:
        return 0
    if jobs < 0:
        raise InputError(f"expected a whole number >= 0, got {jobs}", where="jobs")
    return jobs


def _usable_cpus() -> int:
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        return int(counter() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def planned_workers(files: Sequence[tuple[Path, str]], jobs: int | None = None) -> int:
    """How many processes `read_files` would use for `files` (1: this process only).

    Left to archfit (`jobs` None or 0), processes are also limited to the
    CPUs the 1-minute load average leaves idle, plus this one: on a machine whose cores are
    all busy, workers only compete with each other and reading in one process is faster.
    """
    requested = _requested(jobs)
    cap = requested if requested > 0 else min(_usable_cpus(), MAX_JOBS)
    if cap <= 1 or len(files) < MIN_FILES:
        return 1
    threshold = MIN_BYTES if _can_fork() else MIN_BYTES_UNFORKED
    if _total_bytes(files, stop_at=threshold) < threshold:
        return 1
    if not requested:
        cap = min(cap, 1 + _idle_cpus())
    return max(1, min(cap, len(files)))


def _idle_cpus() -> int:
    """Usable CPUs minus the 1-minute load average, rounded; all of them when unknown."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform
        return _usable_cpus()
    return max(0, int(_usable_cpus() - load + 0.5))


def _total_bytes(files: Sequence[tuple[Path, str]], *, stop_at: int | None = None) -> int:
    total = 0
    for path, _ in files:
        try:
            total += path.stat().st_size
        except OSError:
            continue  # read_file reports it
        if stop_at is not None and total >= stop_at:
            break
    return total


# Told how many more files have been read (one by one in this process, a chunk at a time
# from workers), for a progress display.
OnRead = Callable[[int], None]


def read_files(
    files: Sequence[tuple[Path, str]], *, jobs: int | None = None, on_read: OnRead | None = None
) -> list[ReadResult]:
    """`read_file(path, display)` for each of `files`, in order, in several processes when
    the input is large enough (see the module docstring). `on_read` is told of every file read."""
    workers = planned_workers(files, jobs)
    if workers <= 1:
        return _read_here(files, on_read)
    return read_files_parallel(files, workers, on_read=on_read)


def _read_here(files: Sequence[tuple[Path, str]], on_read: OnRead | None) -> list[ReadResult]:
    if on_read is None:
        return [read_file(path, display) for path, display in files]
    results = []
    for path, display in files:
        results.append(read_file(path, display))
        on_read(1)
    return results


def read_files_parallel(
    files: Sequence[tuple[Path, str]],
    workers: int,
    *,
    start_method: str | None = None,
    on_read: OnRead | None = None,
) -> list[ReadResult]:
    """`read_file` over `files` in `workers` processes, whatever the input's size.

    This process is one of them: it starts `workers - 1` worker processes, which read chunks
    from the front of the input, and reads chunks from the end itself until it meets them
    (each chunk is claimed once, in shared memory). Its own share needs no pickling, and when
    no other core is free (a busy CI runner) less work waits for a worker. `start_method`
    overrides the choice of `fork`/`forkserver`/`spawn`; `on_read` is told of each chunk read.
    """
    chunks = _chunks(files, workers * _CHUNKS_PER_WORKER) if files else []
    if workers <= 1 or len(chunks) <= 1:
        return _read_here(files, on_read)
    context = multiprocessing.get_context(start_method) if start_method else _context()
    try:
        claims = context.Array("b", len(chunks))  # per chunk: 0 free, 1 a worker's, 2 this one's
        executor = ProcessPoolExecutor(
            max_workers=workers - 1,
            mp_context=context,
            initializer=_start_worker,
            initargs=(claims,),
        )
    except OSError:  # no shared memory or no process to spare here: read in this process
        return _read_here(files, on_read)
    results: list[ReadResult] = []
    try:
        futures = [
            executor.submit(_read_chunk, i, [(str(path), display) for path, display in chunk])
            for i, chunk in enumerate(chunks)
        ]
        here: dict[int, list[ReadResult]] = {}
        for i in reversed(range(len(chunks))):
            if not _claim(claims, i, _HERE):  # a worker has it; the chunks before are theirs
                break
            here[i] = [read_file(path, display) for path, display in chunks[i]]
            if on_read is not None:
                on_read(len(chunks[i]))
        for i, (chunk, future) in enumerate(zip(chunks, futures, strict=True)):
            if i in here:  # its task finds the chunk claimed and returns None, unawaited
                results.extend(here[i])
                continue
            packed = _result(future, chunk, workers)
            if on_read is not None:
                on_read(len(chunk))
            assert packed is not None, "a chunk this process did not read was claimed by it"
            results.extend(
                _unpack(one, display) for one, (_, display) in zip(packed, chunk, strict=True)
            )
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return results


_WORKER, _HERE = 1, 2
_claims: Any = None  # in a worker: the claims array of the read it serves


def _start_worker(claims: Any) -> None:
    global _claims  # noqa: PLW0603 - one per worker process, set once when it starts
    _claims = claims


def _claim(claims: Any, index: int, who: int) -> bool:
    with claims.get_lock():
        if claims[index]:
            return False
        claims[index] = who
        return True


def _result(
    future: Future[list[_Packed] | None], chunk: Sequence[tuple[Path, str]], workers: int
) -> list[_Packed] | None:
    what = chunk[0][1] if len(chunk) == 1 else f"{chunk[0][1]} and {len(chunk) - 1} more files"
    advice = f"set {ENV_JOBS}=1 to read in one process"
    try:
        return future.result()
    except BrokenProcessPool as err:
        raise ParallelReadError(
            f"a process reading manifests ({what}) stopped unexpectedly (out of memory or "
            f"killed?); {advice}"
        ) from err
    except Exception as err:  # MemoryError and anything else a worker could not handle
        raise ParallelReadError(
            f"reading {what} in {workers} processes failed: {type(err).__name__}: {err}; {advice}"
        ) from err


def _chunks(files: Sequence[tuple[Path, str]], count: int) -> list[list[tuple[Path, str]]]:
    """Contiguous runs of files of about equal total size (a big file may stand alone)."""
    sizes = []
    for path, _ in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)
    target = max(sum(sizes) / max(count, 1), 1)
    chunks: list[list[tuple[Path, str]]] = []
    current: list[tuple[Path, str]] = []
    filled = 0
    for entry, size in zip(files, sizes, strict=True):
        current.append(entry)
        filled += size
        if filled >= target * (len(chunks) + 1):
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def _can_fork() -> bool:
    return (
        sys.platform == "linux"
        and "fork" in multiprocessing.get_all_start_methods()
        and _thread_count() == 1
    )


def _context() -> BaseContext:
    if _can_fork():
        return multiprocessing.get_context("fork")
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # Workers forked from the server then start with the readers already imported.
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def _thread_count() -> int:
    """Threads of this process, including those Python did not start (native libraries')."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _read_chunk(index: int, files: list[tuple[str, str]]) -> list[_Packed] | None:
    """In a worker: read each file of chunk `index` and pack what it held into plain values;
    None when the parent process claimed the chunk first."""
    if not _claim(_claims, index, _WORKER):
        return None
    with gc_paused():
        return [_pack(read_file(Path(path), display)) for path, display in files]


def _pack(result: ReadResult) -> _Packed:
    docs = [(doc.body, doc.source.line, doc.index) for doc in result.documents]
    return result.files_read, docs, result.problems


def _unpack(packed: _Packed, display: str) -> ReadResult:
    files_read, docs, problems = packed
    return ReadResult(
        documents=[Document(body, SourceRef(display, line), index) for body, line, index in docs],
        problems=problems,
        files_read=files_read,
    )
