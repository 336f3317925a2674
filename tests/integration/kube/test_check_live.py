"""`archfit check --live` against the recorded cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archfit.cli.main import main


def test_check_live_reports_controllers_and_exec_format_error(
    kubeconfig: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # no archfit.yaml or archfit.lock around: defaults
    code = main(["check", "--live", "--kubeconfig", str(kubeconfig), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1  # the exec format error is an error
    text = json.dumps(out)
    assert "exec-format-error" in text
    assert "registry.example.com/legacy-app:1.4.2" in text
    names = {json.dumps(w) for w in out["workloads"]}
    assert any("legacy-app" in n for n in names)
    # Controllers, not their pods or ReplicaSets.
    assert len(out["workloads"]) == 11
    assert "cluster:replay" in text


def test_check_live_with_paths_uses_live_nodes(
    kubeconfig: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    app = tmp_path / "app.yaml"
    app.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: web}\n"
        "spec:\n  selector: {matchLabels: {app: x}}\n  template:\n"
        "    metadata: {labels: {app: x}}\n    spec:\n"
        "      nodeSelector: {kubernetes.io/arch: arm64}\n"
        "      containers: [{name: x, image: nginx:1.27}]\n"
    )
    code = main(["check", str(app), "--live", "--kubeconfig", str(kubeconfig), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code in {0, 1}
    assert len(out["workloads"]) == 1
    assert "exec-format-error" in json.dumps(out)  # live findings still reported
