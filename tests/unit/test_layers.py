"""The import-linter contracts in pyproject.toml hold for the tree, and catch a violation.

Each violating case copies `src/archfit` into a temporary directory, adds one import a contract
forbids, and runs `lint-imports` with the project's own configuration on the copy: it must
fail and name the contract that was broken. A contract that cannot fail protects nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(config: Path, *, pythonpath: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    if not LINT_IMPORTS.exists():
        pytest.fail(f"{LINT_IMPORTS} missing: install the dev extra")
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def _copy_with(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the package and its configuration where `module` (a path below
    `src/archfit`) gains `line` at its end; returns the configuration's path."""
    src = tmp_path / "src"
    shutil.copytree(
        ROOT / "src" / "archfit", src / "archfit", ignore=shutil.ignore_patterns("__pycache__")
    )
    target = src / "archfit" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    config = tmp_path / "pyproject.toml"
    shutil.copyfile(ROOT / "pyproject.toml", config)
    return config


def test_the_tree_keeps_every_contract() -> None:
    done = _lint(ROOT / "pyproject.toml", pythonpath=ROOT / "src", cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # A pure module running a program.
        (
            "manifests/documents.py",
            "import subprocess",
            "Logic and model do no I/O",
        ),
        # A process pool in the scheduler.
        (
            "scheduling/simulate.py",
            "import concurrent.futures",
            "Logic and model do no I/O",
        ),
        # An event loop in a policy rule.
        ("policy/__init__.py", "import asyncio", "Logic and model do no I/O"),
        # The logic layer reaching up into its file adapter.
        (
            "manifests/objects.py",
            "import archfit.sources.loader",
            "Layers: entry points > adapters > logic > model",
        ),
        # rich outside the terminal: in the file adapter and in a CLI command.
        ("sources/files.py", "import rich", "Only the terminal module imports rich"),
        ("cli/commands/check.py", "import rich.table", "Only the terminal module imports rich"),
        # A cycle between siblings: the fast path importing the scheduler that builds it.
        (
            "scheduling/fastpath.py",
            "import archfit.scheduling.scheduler",
            "No import cycles between sibling modules",
        ),
    ],
)
def test_a_forbidden_import_is_caught(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    config = _copy_with(tmp_path, module, line)
    done = _lint(config, pythonpath=tmp_path / "src", cwd=tmp_path)
    assert done.returncode != 0, done.stdout
    broken = done.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, done.stdout
