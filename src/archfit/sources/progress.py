"""How far a read of manifests has come, told to whoever asked (the CLI's progress bar, `-v`).

The readers count; they never draw. `load_manifests(progress=observer)` calls `observer` with a
`ReadCounts` as files are found and decoded and as renders (`kustomize build`, `helm template`,
the Helm SDK) finish, and once more with `finished=True` when the read is over. Files are found
in steps (a source may read a directory outside the paths given), so `files_total` can grow
while `files_read` catches up; `files_read` never exceeds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archfit.manifests.renderers import (
    HelmRenderer,
    KustomizeBuild,
    KustomizeRenderer,
    Renderers,
)

__all__ = ["ReadCounts", "ReadObserver", "ReadTally"]


@dataclass(frozen=True, slots=True)
class ReadCounts:
    """Files decoded of those found so far; renders finished (failed ones too)."""

    files_read: int = 0
    files_total: int = 0
    rendered: int = 0
    finished: bool = False


ReadObserver = Callable[[ReadCounts], None]


class ReadTally:
    """The running counts of one read, told to `observer` after every change."""

    def __init__(self, observer: ReadObserver) -> None:
        self._observer = observer
        self.counts = ReadCounts()

    def _tell(self, **changes: Any) -> None:
        counts = self.counts
        self.counts = ReadCounts(
            files_read=counts.files_read + changes.get("read", 0),
            files_total=counts.files_total + changes.get("found", 0),
            rendered=counts.rendered + changes.get("rendered", 0),
            finished=changes.get("finished", False),
        )
        self._observer(self.counts)

    def found(self, files: int) -> None:
        self._tell(found=files)

    def read(self, files: int = 1) -> None:
        self._tell(read=files)

    def rendered(self) -> None:
        self._tell(rendered=1)

    def finish(self) -> None:
        self._tell(finished=True)

    def renderers(self, renderers: Renderers) -> Renderers:
        """`renderers`, each counting its renders here."""
        return Renderers(
            kustomize=_CountedKustomize(renderers.kustomize, self)
            if renderers.kustomize is not None
            else None,
            helm=_CountedHelm(renderers.helm, self) if renderers.helm is not None else None,
        )


class _CountedKustomize:
    def __init__(self, inner: KustomizeRenderer, tally: ReadTally) -> None:
        self._inner, self._tally = inner, tally

    def build(self, directory: Path) -> KustomizeBuild:
        try:
            return self._inner.build(directory)
        finally:
            self._tally.rendered()


class _CountedHelm:
    def __init__(self, inner: HelmRenderer, tally: ReadTally) -> None:
        self._inner, self._tally = inner, tally

    @property
    def name(self) -> str:
        return self._inner.name

    def render(self, chart: Path, name: str, namespace: str, values: Mapping[str, Any]) -> str:
        try:
            return self._inner.render(chart, name, namespace, values)
        finally:
            self._tally.rendered()
