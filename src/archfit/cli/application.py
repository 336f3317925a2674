"""The object every command receives: the terminal and global settings."""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archfit.cli.terminal import Terminal

if TYPE_CHECKING:
    from archfit.sources import ReadSettings
    from archfit.sources.progress import ReadCounts, ReadObserver

__all__ = ["EXIT_FINDINGS", "EXIT_INPUT", "EXIT_OK", "EXIT_OPERATIONAL", "Abort", "Application"]

EXIT_OK = 0
EXIT_FINDINGS = 1  # the check found something at or above --fail-on, or a what-if failed
EXIT_INPUT = 2  # bad input or usage
EXIT_OPERATIONAL = 3  # the network, a registry or the API server failed


class Abort(Exception):  # noqa: N818 - it is an instruction, not an error condition
    """Stop the command: print `message` (if any) as one line and exit with `code`."""

    def __init__(self, message: str = "", code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Application:
    terminal: Terminal = field(default_factory=Terminal)
    verbose: int = 0
    quiet: bool = False
    # What the last read of manifests came to (for -v); None before any or when not counted.
    read_counts: ReadCounts | None = None
    read_seconds: float = 0.0

    def reading(self) -> ReadSettings:
        """How commands read manifests, from the environment (`ARCHFIT_JOBS`, `ARCHFIT_HELM`):
        the CLI is the entry point, so it alone looks at the process's environment. Reads are
        counted for -v and, on a terminal, shown by a bar once they last half a second."""
        # Imported here: `archfit --help` should not load the readers.
        from archfit.sources import ReadSettings  # noqa: PLC0415

        settings = ReadSettings.from_environment(os.environ)
        observer = self._read_observer()
        return settings if observer is None else dataclasses.replace(settings, progress=observer)

    def _read_observer(self) -> ReadObserver | None:
        bar = self.terminal.delayed_progress() if self.terminal.shows_progress else None
        if bar is None and not self.verbose:
            return None  # nobody would see the counts: do not count

        began: list[float] = []

        def observe(counts: ReadCounts) -> None:
            if not began:
                began.append(time.perf_counter())
            if counts.finished:
                self.read_counts = counts
                self.read_seconds = time.perf_counter() - began.pop()
            if bar is None:
                return
            if counts.finished:
                bar.finish()
                return
            rendered = f", {counts.rendered} rendered" if counts.rendered else ""
            bar.update(counts.files_read, counts.files_total, f"reading manifests{rendered}")

        return observe

    def read_summary(self) -> str:
        """What the last read of manifests came to, for -v: `40 files read, 3 rendered
        (kustomize, helm) in 0.12s`; "" when nothing was counted."""
        counts = self.read_counts
        if counts is None:
            return ""
        rendered = f", {counts.rendered} rendered (kustomize, helm)" if counts.rendered else ""
        return f"{counts.files_read} files read{rendered} in {self.read_seconds:.2f}s"
