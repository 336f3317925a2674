"""The README's exit-code table is the contract: every row is checked through the console
script, and the table lists exactly those rows."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from tests.support.console import ROOT, archfit


def _table() -> dict[int, str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return {
        int(m.group(1)): m.group(2).strip()
        for m in re.finditer(r"^\| (\d+) \| (.+) \|$", section, re.MULTILINE)
    }


def test_the_table_lists_the_codes_archfit_uses() -> None:
    assert _table() == {
        0: "nothing at or above `--fail-on`",
        1: "findings at or above `--fail-on`, unschedulable pods, or a failed what-if",
        2: "bad input or usage (the message names the file, line or field)",
        3: "a registry, the network or the API server failed",
    }


def test_0_nothing_at_or_above_fail_on() -> None:
    assert archfit("check", "examples/homelab", "--fail-on", "never").code == 0


def test_1_findings_and_failed_what_ifs() -> None:
    assert archfit("check", "examples/homelab").code == 1
    assert archfit("simulate", "examples/homelab", "--fail-each", "-q").code == 1


def test_2_bad_input_or_usage(tmp_path: Path) -> None:
    usage = archfit("check", "examples/homelab", "--no-such-flag")
    missing = archfit("check", str(tmp_path / "nowhere"))
    assert (usage.code, missing.code) == (2, 2)
    assert missing.err == f"archfit: error: {tmp_path / 'nowhere'}: no such file or directory\n"


def test_3_a_registry_failed(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = archfit("images", "inspect", f"127.0.0.1:{port}/x:1", "--cache-dir", str(tmp_path))
    assert run.code == 3, run.err
