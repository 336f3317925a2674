"""The only module that imports rich: tables, progress, JSON, errors on stderr.

Colour follows the terminal and `NO_COLOR`; when stdout is not a terminal, output is plain text
with no markup, so pipelines and golden tests see stable bytes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from archfit.report.json_stream import write_json

__all__ = ["ProgressReporter", "Terminal"]


class ProgressReporter(Protocol):
    """What long-running work reports to; usecases receive one of these, never rich itself."""

    def start(self, total: int, description: str) -> None: ...
    def advance(self, step: int = 1) -> None: ...
    def finish(self) -> None: ...


class _RichProgress:
    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self._console = console
        self._enabled = enabled
        self._progress: Progress | None = None
        self._task: Any = None

    def start(self, total: int, description: str) -> None:
        if not (self._enabled and self._console.is_terminal):
            return
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
        )
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

    @property
    def width(self) -> int:
        return self.out.width if self.out.is_terminal else 200

    def line(self, text: str = "", *, style: str | None = None) -> None:
        self.out.print(Text(text, style=style or ""), soft_wrap=True)

    def json(self, value: Any) -> None:
        # Written in pieces (the text of a report on a large cluster runs to gigabytes); the
        # bytes are those of json.dumps(value, indent=2, ensure_ascii=False).
        file = self.out.file
        write_json(value, file.write)
        file.write("\n")

    def yaml(self, value: Any) -> None:
        # Built whole before writing, so that stdout is never half a document.
        import yaml  # noqa: PLC0415 - only `-o yaml` pays for it

        self.out.file.write(
            yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False)
        )

    def raw(self, text: str) -> None:
        self.out.file.write(text)

    def table(
        self, columns: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None
    ) -> None:
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
        self.err.print(Text(f"archfit: error: {message}", style="red"), soft_wrap=True)

    def warn(self, message: str) -> None:
        if self.quiet:
            return
        self.err.print(Text(f"archfit: warning: {message}", style="yellow"), soft_wrap=True)

    def info(self, message: str) -> None:
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
