"""The contract between `expand_documents` and manifest sources (raw YAML, Kustomize, Flux
HelmReleases, Argo CD Applications, Helm charts, …).

Flow: `archfit.sources.read_documents` decodes every file given → each source in
`archfit.manifests.sources.SOURCES` runs in order (`archfit.manifests.objects.expand_documents`)
→ the documents the sources emitted (minus those a later source superseded) are converted into
model values by `archfit.manifests.objects`, and the workloads sources built themselves are
added as they are.

A source:
- looks at the documents read so far (the files' own documents plus what earlier sources
  emitted, minus those an earlier source superseded) and picks the ones it understands (a
  `HelmRelease`, a `kustomization.yaml`, …);
- returns a `SourceOutput`: documents to model (each with a `SourceRef` whose `origin` says what
  produced it, e.g. `HelmRelease media/plex`), ready `Workload`s when it builds them without
  Kubernetes documents, the `SourceRef`s of documents its output replaces (so a Kustomize overlay
  replaces the raw base it patched), findings and free-text notes;
- never raises for bad input: a chart it cannot render is a finding (with the file:line of the
  object that asked for it), and the rest still loads; only bugs raise;
- does no network I/O unless `context.offline` is False, and reads files only below the input
  roots or `context.cache_dir`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from archfit.manifests.documents import Document, ReadResult
from archfit.manifests.renderers import Renderers
from archfit.model.finding import Finding
from archfit.model.workload import SourceRef, Workload

__all__ = ["FileTree", "NoFiles", "Source", "SourceContext", "SourceOutput"]


class FileTree(Protocol):
    """Read-only access to the files around the inputs (values files, vendored charts, bases
    outside the paths given), so that sources stay free of file I/O; `archfit.sources.files`
    implements it over the real file system. None of these raise."""

    def read_text(self, path: Path) -> str | None:
        """The text of `path` (UTF-8, a byte-order mark dropped), or None when it cannot be read."""
        ...

    def is_file(self, path: Path) -> bool: ...

    def is_dir(self, path: Path) -> bool: ...

    def exists(self, path: Path) -> bool:
        """Whether `path` is a file, a directory or anything else (a worktree's `.git` file)."""
        ...

    def resolve(self, path: Path) -> Path:
        """`path` made absolute with symbolic links resolved (as given when it does not exist)."""
        ...

    def real_path(self, path: str) -> str:
        """`os.path.realpath(path)`: absolute, symbolic links resolved as far as they exist."""
        ...

    def list_dir(self, directory: Path) -> list[Path]:
        """The entries of `directory` (files and directories), sorted; empty when unreadable."""
        ...

    def walk(self, root: Path) -> Iterator[tuple[str, list[str], list[str]]]:
        """`os.walk(root)`: (directory, subdirectory names, file names), top down; the caller may
        prune the subdirectory list in place."""
        ...

    def glob(self, directory: Path, pattern: str) -> list[Path]:
        """The entries of `directory` matching the shell `pattern`."""
        ...


class NoFiles:
    """A file tree holding nothing: sources see only the documents they are given."""

    def read_text(self, path: Path) -> str | None:
        del path
        return None

    def is_file(self, path: Path) -> bool:
        del path
        return False

    def is_dir(self, path: Path) -> bool:
        del path
        return False

    def exists(self, path: Path) -> bool:
        del path
        return False

    def resolve(self, path: Path) -> Path:
        return path

    def real_path(self, path: str) -> str:
        return path

    def list_dir(self, directory: Path) -> list[Path]:
        del directory
        return []

    def walk(self, root: Path) -> Iterator[tuple[str, list[str], list[str]]]:
        del root
        return iter(())

    def glob(self, directory: Path, pattern: str) -> list[Path]:
        del directory, pattern
        return []


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What every source may use besides the documents.

    `roots` are the paths the user gave (files or directories), as given. `read` reads more
    files into documents with the same rules and problem reporting as the first read (for
    values files, chart templates). `offline` forbids network access (chart repositories, OCI
    registries). `cache_dir`, when set, is where a source may keep downloads between runs.
    `renderers` are the Kustomize and Helm renderers available and `files` the file tree
    around the inputs (none by default: the logic layer runs no programs and opens no files;
    `archfit.sources.load_manifests` supplies the real ones).
    """

    roots: tuple[Path, ...] = ()
    read: Callable[[Sequence[Path]], ReadResult] | None = None
    offline: bool = True
    cache_dir: Path | None = None
    renderers: Renderers = field(default_factory=Renderers)
    files: FileTree = field(default_factory=NoFiles)


@dataclass(frozen=True, slots=True)
class SourceOutput:
    """What one source contributes. Every field is optional; an empty output changes nothing."""

    documents: tuple[Document, ...] = ()
    workloads: tuple[Workload, ...] = ()
    superseded: frozenset[SourceRef] = frozenset()
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = field(default=())
    # Files whose `invalid-yaml` problems from the first read this source replaces with its
    # own findings (Flux substitution makes them valid, or invalid elsewhere).
    withdrawn: frozenset[str] = frozenset()


@runtime_checkable
class Source(Protocol):
    """A pluggable step turning documents into more documents or workloads.

    `name` is short and stable (`raw`, `kustomize`, `helmrelease`); it appears in notes and can
    be used to switch a source off.
    """

    @property
    def name(self) -> str: ...

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        """Return what this source adds for `documents`; see the module docstring."""
        ...
