"""The CI entry points: the composite action's check step, run by bash as the runner would,
and the pre-commit hook definitions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return data


def _step(name: str) -> dict[str, Any]:
    return next(s for s in _action()["runs"]["steps"] if s.get("name") == name)


def _run_check_step(tmp_path: Path, paths: str) -> tuple[dict[str, str], Path]:
    bash = shutil.which("bash")
    assert bash is not None
    step = _step("archfit check")
    output = tmp_path / "github_output"
    output.write_text("")
    sarif = tmp_path / "archfit.sarif"
    env = {
        **os.environ,
        # The venv's archfit, as `pip install` in the action's first step would provide.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PATHS": paths,
        "FAIL_ON": "error",
        "ARGS": "",
        "SARIF": str(sarif),
        "GITHUB_OUTPUT": str(output),
    }
    subprocess.run([bash, "-e", "-c", step["run"]], cwd=ROOT, env=env, check=True, timeout=120)
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return values, sarif


def test_action_check_step_writes_sarif_and_reports_the_exit_code(tmp_path: Path) -> None:
    values, sarif = _run_check_step(tmp_path, "examples/homelab")
    assert values == {"exit-code": "1"}
    log = json.loads(sarif.read_text())
    assert log["version"] == "2.1.0"
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert "examples/homelab/apps/databases/mssql.yaml" in uris


def test_action_check_step_drops_the_log_on_bad_input(tmp_path: Path) -> None:
    values, sarif = _run_check_step(tmp_path, "no/such/dir")
    assert values == {"exit-code": "2"}
    assert not sarif.exists()


def test_action_uploads_with_codeql_and_fails_after() -> None:
    steps = _action()["runs"]["steps"]
    assert _action()["runs"]["using"] == "composite"
    names = [s.get("name") or s["uses"] for s in steps]
    assert names == [
        "actions/setup-python@v5",
        "Install archfit",
        "archfit check",
        "Upload SARIF",
        "Fail on findings",
    ]
    upload = _step("Upload SARIF")
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    # Every run step says its shell, as composite actions require.
    assert all(s["shell"] == "bash" for s in steps if "run" in s)


def test_pre_commit_hooks() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [(h["id"], h["entry"]) for h in hooks] == [
        ("archfit-check", "archfit check"),
        ("archfit-lock-check", "archfit lock --check"),
    ]
    for hook in hooks:
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False


@pytest.mark.parametrize("hook_id", ["archfit-check", "archfit-lock-check"])
def test_pre_commit_hook_commands_run_on_the_example(hook_id: str) -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks[hook_id]
    archfit = Path(sys.executable).parent / "archfit"
    command = [str(archfit), *hook["entry"].split()[1:], "examples/homelab", *hook["args"][1:]]
    result = subprocess.run(
        command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    # The example is out of date on purpose (an image missing from its lockfile) and carries
    # errors: both hooks fail it, with exit 1 and not a usage error.
    assert result.returncode == 1, result.stderr
