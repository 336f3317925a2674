"""Run the installed console scripts (`.venv/bin/archfit`, `kubectl-archfit`) in a subprocess, as
a user does, with the network off-limits: no proxy, and a cache directory of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["ROOT", "Run", "archfit"]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class Run:
    def __init__(self, completed: subprocess.CompletedProcess[str]) -> None:
        self.code = completed.returncode
        self.out = completed.stdout
        self.err = completed.stderr


def archfit(
    *args: str,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    script: str = "archfit",
    timeout: float = 60,
) -> Run:
    """`archfit ARGS…`; `env` adds to (or, with an empty value, removes from) the environment."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ARCHFIT_")}
    environ.pop("NO_COLOR", None)
    environ["ARCHFIT_OFFLINE"] = "1"  # never the internet; first-run tests clear it
    for key, value in (env or {}).items():
        if value:
            environ[key] = value
        else:
            environ.pop(key, None)
    completed = subprocess.run(
        [str(BIN / script), *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(completed)
