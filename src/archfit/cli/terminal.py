"""The only module that imports rich: tables, progress, JSON, errors on stderr.

Colour follows the terminal and `NO_COLOR`; when stdout is not a terminal, output is plain text
with no markup, so pipelines and golden tests see stable bytes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from archfit.report.json_stream import write_json

__all__ = ["DelayedProgress", "ProgressReporter", "Terminal"]


class ProgressReporter(Protocol):
    """What long-running work reports to; usecases receive one of these, never rich itself."""

    def start(self, total: int, description: str) -> None: ...
    def advance(self, step: int = 1) -> None: ...
    def finish(self) -> None: ...


def _bar(console: Console, **options: Any) -> Progress:
    """The one look of archfit's progress bars: what, how far, N/M, time; erased when done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        **options,
    )


class _RichProgress:
    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self._console = console
        self._enabled = enabled
        self._progress: Progress | None = None
        self._task: Any = None

    def start(self, total: int, description: str) -> None:
        if not (self._enabled and self._console.is_terminal):
            return
        self._progress = _bar(self._console)
        self._progress.start()
        # A total of 0 (not known up front) shows a pulsing bar rather than a full one.
        self._task = self._progress.add_task(description, total=total or None)

    def advance(self, step: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, step)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class DelayedProgress:
    """A bar for work whose size is learned as it goes (files are found while they are read).

    Drawn only once the work has lasted `delay` seconds, so that small inputs never flicker,
    and redrawn by hand at most every `REDRAW` seconds: rich's refresh thread would make this
    process multi-threaded, and the parallel reader then starts its workers with forkserver
    instead of fork (`archfit.sources.parallel`). `update` after `finish` starts anew.
    """

    REDRAW = 0.1

    def __init__(
        self,
        console: Console,
        *,
        enabled: bool,
        delay: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._console, self._enabled, self._delay, self._clock = console, enabled, delay, clock
        self._began: float | None = None
        self._drawn = 0.0
        self._progress: Progress | None = None
        self._task: Any = None

    @property
    def shown(self) -> bool:
        return self._progress is not None

    def update(self, completed: int, total: int, description: str) -> None:
        if not self._enabled:
            return
        now = self._clock()
        if self._began is None:
            self._began = now
        if self._progress is None:
            if now - self._began < self._delay:
                return
            self._progress = _bar(
                self._console, auto_refresh=False, redirect_stdout=False, redirect_stderr=False
            )
            self._progress.start()
            self._task = self._progress.add_task(description, total=total or None)
            self._drawn = -self.REDRAW
        self._progress.update(
            self._task, completed=completed, total=total or None, description=description
        )
        if now - self._drawn >= self.REDRAW:
            self._drawn = now
            self._progress.refresh()

    def finish(self) -> None:
        self._began = None
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class Terminal:
    """Writes results to stdout and diagnostics to stderr."""

    def __init__(self, *, out: Any = None, err: Any = None, color: bool | None = None) -> None:
        no_color = None if color is None else not color
        self.out = Console(
            file=out or sys.stdout, no_color=no_color, highlight=False, soft_wrap=False
        )
        self.err = Console(
            file=err or sys.stderr, no_color=no_color, highlight=False, stderr=err is None
        )
        # -q: warnings, notes and progress are dropped; errors and results are not.
        self.quiet = False
        self._delayed: list[DelayedProgress] = []

    @property
    def shows_progress(self) -> bool:
        """Progress is drawn on stderr when it is a terminal, unless -q."""
        return not self.quiet and self.err.is_terminal

    def delayed_progress(self, delay: float = 0.5) -> DelayedProgress:
        """A `DelayedProgress` on stderr; any output of this terminal takes it down first."""
        bar = DelayedProgress(self.err, enabled=self.shows_progress, delay=delay)
        self._delayed.append(bar)
        return bar

    def _settle(self) -> None:
        # A bar left up by work that ended without saying so must not be drawn over output.
        for bar in self._delayed:
            bar.finish()

    @property
    def width(self) -> int:
        return self.out.width if self.out.is_terminal else 200

    def line(self, text: str = "", *, style: str | None = None) -> None:
        self._settle()
        self.out.print(Text(text, style=style or ""), soft_wrap=True)

    def json(self, value: Any) -> None:
        self._settle()
        # Written in pieces (the text of a report on a large cluster runs to gigabytes); the
        # bytes are those of json.dumps(value, indent=2, ensure_ascii=False).
        file = self.out.file
        write_json(value, file.write)
        file.write("\n")

    def yaml(self, value: Any) -> None:
        # Built whole before writing, so that stdout is never half a document.
        import yaml  # noqa: PLC0415 - only `-o yaml` pays for it

        self._settle()
        self.out.file.write(
            yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False)
        )

    def raw(self, text: str) -> None:
        self._settle()
        self.out.file.write(text)

    def table(
        self, columns: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None
    ) -> None:
        self._settle()
        table = Table(title=title, show_lines=False, box=None, pad_edge=False, header_style="bold")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        if self.out.is_terminal:
            self.out.print(table)
            return
        # rich caps a renderable at the console's width (80 when piped); render piped tables at a
        # wide fixed width so that logs and pipelines get one row per line.
        wide = Console(file=self.out.file, width=self.width, no_color=True, highlight=False)
        wide.print(table)

    def error(self, message: str) -> None:
        self._settle()
        self.err.print(Text(f"archfit: error: {message}", style="red"), soft_wrap=True)

    def warn(self, message: str) -> None:
        self._settle()
        if self.quiet:
            return
        self.err.print(Text(f"archfit: warning: {message}", style="yellow"), soft_wrap=True)

    def info(self, message: str) -> None:
        self._settle()
        if self.quiet:
            return
        self.err.print(Text(message, style="dim"), soft_wrap=True)

    @contextmanager
    def progress(self) -> Iterator[ProgressReporter]:
        reporter = _RichProgress(self.err, enabled=not self.quiet)
        try:
            yield reporter
        finally:
            reporter.finish()
