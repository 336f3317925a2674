"""The commands the README and docs/ show exist as shown, so the documentation cannot drift from
the CLI: every `archfit …` line of a shell block (or a `$ ` line of an output block, a CI
workflow's `run:`, an inline code span) names real subcommands and real options, and every
environment variable the docs name is read somewhere.

The commands are read from the click tree typer builds (no process per line), so this stays
fast.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.shown_commands import Shown, problems, shown_commands

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
ALL_SHOWN = [shown for path in DOCS for shown in shown_commands(path, ROOT)]


def test_the_docs_show_commands() -> None:
    # The extraction itself must work: the README alone shows dozens.
    readme = [s for s in ALL_SHOWN if s.where.startswith("README.md")]
    assert len(readme) >= 30, readme
    assert Shown("README.md:10", ("check", "examples/homelab")) in readme


@pytest.mark.parametrize("shown", ALL_SHOWN, ids=lambda s: s.where)
def test_every_shown_command_exists(shown: Shown) -> None:
    assert problems(shown) == [], f"{shown.where}: archfit {' '.join(shown.words)}"


def test_a_stale_command_is_caught() -> None:
    # The checker itself can fail: each of these is wrong in one way.
    assert problems(Shown("x", ("chek", "."))) == ["archfit has no subcommand 'chek'"]
    assert problems(Shown("x", ("check", ".", "--no-such"))) == [
        "archfit check has no option --no-such"
    ]
    assert problems(Shown("x", ("images", "IMAGE"))) == ["archfit images has no subcommand 'IMAGE'"]
    assert problems(Shown("x", ("check", ".", "-v", "--fail-on", "never"))) == []


def _variables(text: str) -> set[str]:
    return set(re.findall(r"\bARCHFIT_[A-Z][A-Z0-9_]*\b", text))


def test_every_environment_variable_the_docs_name_is_read() -> None:
    documented = set().union(*(_variables(p.read_text(encoding="utf-8")) for p in DOCS))
    assert "ARCHFIT_FAIL_ON" in documented
    code = [*ROOT.joinpath("src").rglob("*.py"), ROOT / "tests" / "conftest.py"]
    read = set().union(*(_variables(p.read_text(encoding="utf-8")) for p in code))
    assert sorted(documented - read) == []
