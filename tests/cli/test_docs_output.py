"""The output the README and docs/findings.md show is the output archfit prints: the example
blocks of `archfit check examples/homelab` and `archfit simulate examples/homelab --fail-each`
are excerpts of the real text ("…" marks what is left out), and each finding example of
findings.md about a workload of the bundled example is its finding, word for word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.console import archfit

ROOT = Path(__file__).resolve().parents[2]


def _block_after(text: str, command: str) -> list[str]:
    """The lines of the code block whose first line is `$ COMMAND`."""
    start = text.index(f"$ {command}\n") + len(command) + 3
    return text[start : text.index("```", start)].rstrip("\n").splitlines()


def _in_order(excerpt: list[str], output: list[str]) -> list[str]:
    """The excerpt's lines (other than "…") that are not in `output`, in order."""
    missing, at = [], 0
    for line in excerpt:
        if line.strip() == "…":
            continue
        try:
            at = output.index(line, at) + 1
        except ValueError:
            missing.append(line)
    return missing


@pytest.fixture(scope="module")
def check_text() -> list[str]:
    run = archfit("check", "examples/homelab")
    assert run.code == 1, run.err
    return run.out.splitlines()


@pytest.mark.parametrize(
    ("command", "code"),
    [("check examples/homelab", 1), ("simulate examples/homelab --fail-each", 1)],
)
def test_the_readme_examples_are_excerpts_of_the_output(command: str, code: int) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    excerpt = _block_after(readme, f"./scripts/archfit {command}")
    assert len(excerpt) > 10
    run = archfit(*command.split())
    assert run.code == code, run.err
    assert _in_order(excerpt, run.out.splitlines()) == []


def _finding_blocks(output: list[str]) -> dict[tuple[str, str], list[str]]:
    """The text report's findings, keyed by id and subject, without the section indent."""
    blocks: dict[tuple[str, str], list[str]] = {}
    current: list[str] | None = None
    for line in output:
        if re.match(r"^  [a-z][a-z0-9-]+  ", line):
            fields = line[2:].split("  ")
            current = blocks.setdefault((fields[0], fields[1]), [])
            current.append(line[2:])
        elif current is not None and line.startswith("    "):
            current.append(line[2:])
        else:
            current = None
    return blocks


def test_the_finding_examples_of_the_bundled_example_are_what_check_prints(
    check_text: list[str],
) -> None:
    printed = _finding_blocks(check_text)
    doc = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    compared = 0
    for example in re.findall(r"^```\n(.*?)^```", doc, re.M | re.S):
        lines = example.rstrip("\n").splitlines()
        fields = lines[0].split("  ")
        key = (fields[0], fields[1]) if len(fields) > 1 else None
        if key in printed:
            assert lines == printed[key]
            compared += 1
    # Written by hand: the examples of findings.md taken from the bundled example.
    assert compared == 11
