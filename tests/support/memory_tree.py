"""`archfit.manifests.sources.FileTree` over a dict of absolute path → text, and a reader
decoding its files like `archfit.sources.read_documents`: sources given these touch no disk."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from archfit.manifests import ReadResult, read_bytes

__all__ = ["MemoryTree", "memory_reader"]


class MemoryTree:
    """Files are the keys; directories are their ancestors. No symbolic links, so a real path
    is the absolute, normalised path."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = {Path(k): v for k, v in files.items()}
        self.dirs = {d for f in self.files for d in f.parents}

    def read_text(self, path: Path) -> str | None:
        return self.files.get(Path(path))

    def is_file(self, path: Path) -> bool:
        return Path(path) in self.files

    def is_dir(self, path: Path) -> bool:
        return Path(path) in self.dirs

    def exists(self, path: Path) -> bool:
        return self.is_file(path) or self.is_dir(path)

    def resolve(self, path: Path) -> Path:
        return Path(self.real_path(str(path))) if self.exists(path) else Path(path)

    def real_path(self, path: str) -> str:
        return os.path.normpath(os.path.abspath(path))

    def list_dir(self, directory: Path) -> list[Path]:
        directory = Path(directory)
        return sorted(p for p in self.dirs | set(self.files) if p.parent == directory != p)

    def walk(self, root: Path) -> Iterator[tuple[str, list[str], list[str]]]:
        root = Path(root)
        if root not in self.dirs:
            return
        pending = [root]
        while pending:  # top down, like os.walk: the caller may prune `subdirs`
            current = pending.pop(0)
            subdirs = sorted(d.name for d in self.dirs if d.parent == current != d)
            names = sorted(f.name for f in self.files if f.parent == current)
            yield str(current), subdirs, names
            pending[:0] = [current / d for d in subdirs]

    def glob(self, directory: Path, pattern: str) -> list[Path]:
        return [f for f in self.files if f.parent == directory and fnmatch.fnmatch(f.name, pattern)]


def memory_reader(tree: MemoryTree) -> Callable[[Sequence[Path]], ReadResult]:
    """Reads a file named as it is, and the `*.yaml`/`*.yml` files below a directory (hidden
    entries skipped), in sorted order."""

    def read(paths: Sequence[Path]) -> ReadResult:
        result = ReadResult()
        for path in paths:
            if path in tree.files:
                below = [path]
            else:
                below = [
                    f
                    for f in sorted(tree.files)
                    if path in f.parents
                    and f.suffix in {".yaml", ".yml"}
                    and not any(p.startswith(".") for p in f.relative_to(path).parts)
                ]
            for file in below:
                result.extend(read_bytes(tree.files[file].encode(), str(file)))
        return result

    return read
