"""How this process reads manifests: the settings entry points pass down to the readers.

The readers never look at the environment themselves; an entry point (the CLI, a service)
builds `ReadSettings`, from its options or with `ReadSettings.from_environment(os.environ)`,
and hands it to the use cases. The variables, in one place:

- `ARCHFIT_JOBS`: processes that decode files; 1 reads in this process, unset or 0 lets
  archfit decide (the idle CPUs, at most 8, and only for large inputs);
- `ARCHFIT_HELM`: the helm binary to render charts with (a path, or a name looked up on PATH);
  unset: `helm` on PATH, else the Helm SDK when installed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from archfit.errors import InputError
from archfit.manifests.objects import ManifestSet
from archfit.sources.loader import load_manifests
from archfit.sources.progress import ReadObserver
from archfit.sources.renderers import installed
from archfit.sources.runtime import ENV_HELM, ENV_JOBS

__all__ = ["ENV_HELM", "ENV_JOBS", "ReadSettings"]


@dataclass(frozen=True, slots=True)
class ReadSettings:
    """`jobs`: processes decoding files (None or 0: archfit decides; 1: this process only).
    `helm`: the helm binary, a path or a name on PATH (None: `helm` on PATH).
    `progress`: told how far each read has come (`archfit.sources.progress`; the CLI's bar)."""

    jobs: int | None = None
    helm: str | None = None
    progress: ReadObserver | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ReadSettings:
        """The settings `environ` asks for; `InputError` naming the variable when malformed."""
        raw = environ.get(ENV_JOBS, "").strip()
        try:
            jobs = int(raw) if raw else 0
        except ValueError:
            jobs = -1
        if jobs < 0:
            raise InputError(
                f"expected a whole number of processes (1 reads in one process, 0 or unset "
                f"uses every CPU), got {raw!r}",
                where=ENV_JOBS,
            )
        return cls(jobs=jobs or None, helm=environ.get(ENV_HELM) or None)

    def load(
        self, paths: Iterable[Path | str] | Path | str, *, entry: str | None = None
    ) -> ManifestSet:
        """`load_manifests(paths)` with these settings (`entry` selects one entry point)."""
        return load_manifests(
            paths,
            jobs=self.jobs,
            renderers=installed(helm=self.helm),
            entry=entry,
            progress=self.progress,
        )
