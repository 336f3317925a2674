"""Reading and writing `archfit.lock` on disk; the text itself is `archfit.manifests.lockfile`."""

from __future__ import annotations

from pathlib import Path

from archfit.errors import InputError
from archfit.manifests.lockfile import LOCKFILE_NAME, dump_lockfile, parse_lockfile
from archfit.model.lockfile import Lockfile
from archfit.sources.atomic import write_atomic

__all__ = ["LOCKFILE_NAME", "read_lockfile", "write_lockfile"]


def read_lockfile(path: Path | str, *, optional: bool = False) -> Lockfile:
    """Read a lockfile. A missing file is an `InputError`, or an empty `Lockfile` when
    `optional`; bad content is an `InputError` naming the file and the field (or line)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if optional:
            return Lockfile()
        raise InputError(
            "no such lockfile; create one with `archfit lock`", where=str(path)
        ) from None
    except OSError as err:
        raise InputError(f"cannot read lockfile: {err.strerror or err}", where=str(path)) from None
    return parse_lockfile(data, str(path), optional=optional)


def write_lockfile(path: Path | str, lock: Lockfile) -> None:
    """Write `lock` to `path` atomically (the old file stays whole if anything fails)."""
    write_atomic(Path(path), dump_lockfile(lock))
