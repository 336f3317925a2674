"""`--help` teaches: every command says what it does and shows examples (as kubectl's
`Examples:`), every example names real subcommands and options, and the examples that run
offline on the bundled example run, through the installed console script, as a user types them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from archfit.cli.main import app, main
from tests.support.console import archfit
from tests.support.shown_commands import Shown, command_words, problems


def _command_paths(command: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path] if path else []
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        paths.extend(_command_paths(sub, (*path, name)))
    return paths


# The root command first, then every subcommand.
COMMANDS = [(), *_command_paths(typer.main.get_command(app))]


def _help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    assert main([*path, "--help"]) == 0
    return capsys.readouterr().out


def examples_in(text: str) -> list[str]:
    """The lines of the `Examples:` block of a help text, continued lines (`\\`) joined."""
    lines: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.strip() == "Examples:":
            inside = True
        elif inside and not line.strip():
            break
        elif inside and lines and lines[-1].endswith("\\"):
            lines[-1] = lines[-1].removesuffix("\\") + " " + line.strip()
        elif inside:
            lines.append(line.strip())
    return lines


def test_every_command_is_listed() -> None:
    # Written by hand: a new command must be added here, with examples in its help.
    assert {" ".join(p) for p in COMMANDS} == {
        "", "check", "completion", "exporter", "fix", "images", "images inspect", "label",
        "lock", "longhorn-settings", "report", "simulate", "snapshot", "version", "webhook",
    }  # fmt: skip


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "archfit")
def test_help_describes_and_shows_examples_that_exist(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    text = _help(path, capsys)
    assert text.startswith(f"Usage: {' '.join(('archfit', *path))} "), text
    summary = text.split("\n\n")[1].strip()
    assert summary, text
    assert not summary.startswith("Examples"), text
    examples = examples_in(text)
    assert examples, f"{' '.join(('archfit', *path))} --help shows no Examples:"
    for example in examples:
        found = command_words(example)
        assert found, f"not an archfit command: {example!r}"
        # Two commands run together: the block was re-wrapped (its `\b` marker is missing).
        assert example.count("archfit ") == len(found), example
        for words in found:
            assert problems(Shown(example, words)) == [], example


# The examples that need neither network, cluster nor files outside the checkout, with the exit
# code each must end with (the bundled example has findings and a pod no node takes).
OFFLINE = {
    "archfit check examples/homelab": 1,
    "archfit simulate examples/homelab": 1,
    "archfit simulate examples/homelab --fail-each": 1,
    "archfit fix examples/homelab --dry-run": 0,  # a diff on stdout, nothing written
    "archfit version": 0,
    "archfit --version": 0,
}


def test_the_offline_examples_are_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    shown = {e.split("  #")[0].strip() for p in COMMANDS for e in examples_in(_help(p, capsys))}
    assert set(OFFLINE) <= shown


@pytest.mark.parametrize(("example", "code"), OFFLINE.items())
def test_offline_examples_run(example: str, code: int) -> None:
    run = archfit(*example.split()[1:])
    assert (run.code, run.err) == (code, ""), run.err
    assert run.out


def test_the_report_example_runs(tmp_path: Path) -> None:
    # `archfit report examples/homelab -o report.html`, written where the test may write.
    page = tmp_path / "report.html"
    run = archfit("report", "examples/homelab", "-o", str(page))
    # 0 once written: `check` gates findings, `--fail-each` the N-1 sweep.
    assert run.code == 0, run.err
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
