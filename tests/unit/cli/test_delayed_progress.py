"""The read progress bar: nothing until the work has lasted the delay, nothing at all off a
terminal or with -q, and taken down before any output."""

from __future__ import annotations

import io

from rich.console import Console

from archfit.cli.terminal import DelayedProgress, Terminal


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _console(out: io.StringIO, *, terminal: bool) -> Console:
    return Console(file=out, force_terminal=terminal, width=80, color_system=None)


def test_nothing_is_drawn_before_the_delay_then_the_bar_shows_the_counts() -> None:
    out, clock = io.StringIO(), Clock()
    bar = DelayedProgress(_console(out, terminal=True), enabled=True, delay=0.5, clock=clock)
    bar.update(0, 500, "reading manifests")
    clock.now += 0.4
    bar.update(300, 500, "reading manifests")
    assert (out.getvalue(), bar.shown) == ("", False)
    clock.now += 0.2
    bar.update(420, 500, "reading manifests, 2 rendered")
    assert bar.shown
    assert "reading manifests, 2 rendered" in out.getvalue()
    assert "420/500" in out.getvalue()
    bar.finish()
    assert not bar.shown


def test_redraws_are_throttled() -> None:
    out, clock = io.StringIO(), Clock()
    bar = DelayedProgress(_console(out, terminal=True), enabled=True, delay=0.0, clock=clock)
    bar.update(1, 1000, "reading manifests")
    drawn = out.getvalue()
    clock.now += 0.01
    bar.update(2, 1000, "reading manifests")
    assert out.getvalue() == drawn  # too soon to draw again
    clock.now += 0.2
    bar.update(900, 1000, "reading manifests")
    assert "900/1000" in out.getvalue()
    bar.finish()


def test_disabled_draws_nothing() -> None:
    out, clock = io.StringIO(), Clock()
    bar = DelayedProgress(_console(out, terminal=True), enabled=False, delay=0.0, clock=clock)
    clock.now += 5
    bar.update(10, 10, "reading manifests")
    assert (out.getvalue(), bar.shown) == ("", False)


def test_a_terminal_draws_progress_only_on_a_tty_and_not_when_quiet() -> None:
    piped = Terminal(out=io.StringIO(), err=io.StringIO())
    assert not piped.shows_progress
    tty = Terminal(out=io.StringIO(), err=io.StringIO())
    tty.err = _console(io.StringIO(), terminal=True)
    assert tty.shows_progress
    tty.quiet = True
    assert not tty.shows_progress


def test_output_takes_the_bar_down_first() -> None:
    out = io.StringIO()
    terminal = Terminal(out=out, err=io.StringIO())
    terminal.err = _console(io.StringIO(), terminal=True)
    bar = terminal.delayed_progress(delay=0.0)
    bar.update(1, 2, "reading manifests")
    shown_before = bar.shown
    terminal.line("result")
    assert (shown_before, bar.shown) == (True, False)
    assert out.getvalue() == "result\n"
