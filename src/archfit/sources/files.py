"""Walking directories and reading files into documents: the file edge of `archfit.manifests`.

Contract of `archfit.sources.loader.read_documents`, built from `plan_files` and `read_file`:
- files and directories (recursively, `*.yaml` and `*.yml`, hidden files and directories such as
  `.git` skipped, symlinked directories followed once, sorted so output is deterministic); a file
  named explicitly is read whatever its extension (`.json` is decoded as JSON);
- each file's bytes are decoded by `archfit.manifests.documents.read_bytes` (see its contract);
  an unreadable file or directory becomes an `unreadable` finding and a path that does not
  exist an `invalid-yaml` one naming it,
  so one mistyped argument does not hide the rest. It never raises for content.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from archfit.manifests.documents import (
    KUSTOMIZATION_FILES,
    YAML_SUFFIXES,
    ReadResult,
    missing,
    read_bytes,
    unreadable,
)
from archfit.model.finding import Finding
from archfit.model.workload import SourceRef

__all__ = ["LocalFiles", "iter_yaml_files", "plan_files", "read_file"]


def iter_yaml_files(
    root: Path,
    unreadable: list[tuple[Path, str]] | None = None,
    unlisted: list[Path] | None = None,
) -> Iterator[Path]:
    """`*.yaml`/`*.yml` below `root` in sorted order, skipping hidden entries, symlink loops
    and the `templates/` of Helm charts (directories holding a `Chart.yaml`). Entries that
    cannot be examined are appended to `unreadable` with the reason, and directories that
    cannot be listed to `unlisted`, when given, so that they are reported rather than skipped."""
    seen: set[tuple[int, int]] = set()

    def skipped(path: Path, err: OSError) -> None:
        if unreadable is not None:
            unreadable.append((path, err.strerror or str(err)))

    def walk(directory: Path) -> Iterator[Path]:
        try:
            st = directory.stat()
        except OSError as err:
            skipped(directory, err)
            return
        if (st.st_dev, st.st_ino) in seen:
            return
        seen.add((st.st_dev, st.st_ino))
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as err:
            if unlisted is not None:
                unlisted.append(directory)
            else:
                skipped(directory, err)
            return
        subdirs = []
        # A Helm chart's templates are Go templates, not manifests: the chart renderers read
        # them; read as YAML they would be reported invalid.
        chart = any(e.name == "Chart.yaml" for e in entries)
        for entry in entries:
            if entry.name.startswith(".") or (chart and entry.name == "templates"):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError as err:
                skipped(directory / entry.name, err)
                continue
            if is_dir:
                subdirs.append(directory / entry.name)
            elif entry.name.endswith(YAML_SUFFIXES) or entry.name in KUSTOMIZATION_FILES:
                yield directory / entry.name
        for sub in subdirs:
            yield from walk(sub)

    yield from walk(root)


def read_file(path: Path, display: str | None = None) -> ReadResult:
    """Read one file; `display` is how the file is named in sources and findings."""
    file = display if display is not None else str(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        return unreadable(file, f"cannot read file: {err.strerror or err}")
    return read_bytes(data, file)


def plan_files(paths: Iterable[Path | str]) -> list[tuple[Path, str] | Finding]:
    """The files to read as `(path, display name)` in order, and a problem for each missing
    path in its place. A file reached twice (a directory and a file inside it, or two
    overlapping directories) is listed once, so its objects are not counted twice."""
    plan: list[tuple[Path, str] | Finding] = []
    seen: set[Path] = set()

    def add(file: Path, display: str) -> None:
        key = file.resolve()
        if key not in seen:
            seen.add(key)
            plan.append((file, display))

    for raw in paths:
        given = Path(raw)
        if given.is_dir():
            skipped: list[tuple[Path, str]] = []
            unlisted: list[Path] = []
            for file in iter_yaml_files(given, skipped, unlisted):
                add(file, str(file))
            for path, reason in skipped:
                plan.extend(unreadable(str(path), f"cannot read: {reason}").problems)
            plan.extend(
                Finding(
                    id="unreadable-directory",
                    severity="warning",
                    message=f"{directory}: cannot be listed (permission denied or I/O error); "
                    "archfit read the rest of the tree without it",
                    subject=str(directory),
                    source=SourceRef(str(directory), 0),
                    hint="make the directory readable to have its manifests checked",
                    rule="manifests",
                )
                for directory in unlisted
            )
        elif given.exists():
            add(given, str(raw))
        else:
            plan.append(missing(str(raw)))
    return plan


class LocalFiles:
    """`archfit.manifests.sources.FileTree` over this machine's file system.

    Not cached: files change between runs of `fix` in one process."""

    def read_text(self, path: Path) -> str | None:
        try:
            return Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None

    def is_file(self, path: Path) -> bool:
        return Path(path).is_file()

    def is_dir(self, path: Path) -> bool:
        return Path(path).is_dir()

    def exists(self, path: Path) -> bool:
        return Path(path).exists()

    def resolve(self, path: Path) -> Path:
        path = Path(path)
        return path.resolve() if path.exists() else path

    def real_path(self, path: str) -> str:
        return os.path.realpath(path)

    def list_dir(self, directory: Path) -> list[Path]:
        try:
            return sorted(Path(directory).iterdir())
        except OSError:
            return []

    def walk(self, root: Path) -> Iterator[tuple[str, list[str], list[str]]]:
        return os.walk(root)

    def glob(self, directory: Path, pattern: str) -> list[Path]:
        return list(Path(directory).glob(pattern))
