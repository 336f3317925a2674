"""`archfit check --live` against the recorded cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archfit.cli.main import main
from tests.integration.kube.replay import Received, ReplayServer, Response


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


def _namespaced(apiserver: ReplayServer, fixtures: Path) -> None:
    """Serve what the recording has no request for: GET of one namespace (from the recorded
    namespace list) and a namespaced list (the recorded cluster-wide list, that namespace's
    items only), as the API server answers them."""

    def answer(req: Received) -> Response | None:
        parts = req.path.strip("/").split("/")
        if req.method != "GET" or "namespaces" not in parts:
            return None
        at = parts.index("namespaces")
        namespace = parts[at + 1] if len(parts) > at + 1 else ""
        listed = json.loads((fixtures / "namespaces.json").read_text())
        if len(parts) == at + 2:
            found = [i for i in listed["items"] if i["metadata"]["name"] == namespace]
            return Response(200, json.dumps(found[0]).encode()) if found else None
        plural = parts[at + 2]
        recorded = apiserver.choose(
            Received(
                "GET",
                "/".join(["", *parts[:at], plural]),
                req.query,
                req.headers,
                b"",
                req.identity,
            )
        )
        if recorded is None or recorded.status != 200:
            return recorded
        body = json.loads(recorded.body)
        body["items"] = [i for i in body["items"] if i["metadata"].get("namespace") == namespace]
        return Response(200, json.dumps(body).encode())

    apiserver.fallback = answer


def test_check_live_one_namespace(  # noqa: PLR0917 - pytest passes fixtures by name
    kubeconfig: Path,
    apiserver: ReplayServer,
    apiserver_fixtures: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    _namespaced(apiserver, apiserver_fixtures)
    main(["check", "--live", "--kubeconfig", str(kubeconfig), "-o", "json"])
    everything = json.loads(capsys.readouterr().out)["workloads"]
    namespaces = {w["namespace"] for w in everything}
    assert len(namespaces) > 1
    grafana_ns = next(w["namespace"] for w in everything if w["name"] == "grafana")
    main(["check", "--live", "-n", grafana_ns, "--kubeconfig", str(kubeconfig), "-o", "json"])
    captured = capsys.readouterr()
    assert "error" not in captured.err, captured.err
    scoped = json.loads(captured.out)["workloads"]
    assert {w["namespace"] for w in scoped} == {grafana_ns}
    assert sorted(w["name"] for w in scoped) == sorted(
        w["name"] for w in everything if w["namespace"] == grafana_ns
    )
    code = main(["check", "--live", "-n", "media", "--kubeconfig", str(kubeconfig)])
    assert code == 2
    assert capsys.readouterr().err == (
        "archfit: error: namespace 'media' does not exist on this cluster\n"
    )
