"""`archfit snapshot` end to end against the replay server, and reading the file back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from archfit.cli.main import main
from archfit.sources import load_manifests
from tests.integration.kube.replay import (
    NOBODY_TOKEN,
    Certs,
    ReplayServer,
    Response,
    write_kubeconfig,
)


def test_snapshot_writes_one_list_without_secrets(kubeconfig: Path, tmp_path: Path) -> None:
    out = tmp_path / "snap.yaml"
    code = main(["snapshot", "--kubeconfig", str(kubeconfig), "-o", str(out)])
    assert code == 0
    text = out.read_text()
    assert text.startswith("# archfit snapshot of https://127.0.0.1:")
    doc = yaml.safe_load(text)
    assert doc["apiVersion"] == "v1"
    assert doc["kind"] == "List"
    kinds = [item["kind"] for item in doc["items"]]
    assert kinds.count("Node") == 14
    assert kinds.count("Pod") == 40  # every pod, the Pending gpu-inference pod among them
    assert kinds.count("Deployment") == 5
    assert "Secret" not in kinds
    assert "managedFields:" not in text
    assert "last-applied-configuration" not in text
    assert all("apiVersion" in item for item in doc["items"])
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob(".snap.yaml.*"))


def test_snapshot_reads_back_offline(kubeconfig: Path, tmp_path: Path) -> None:
    out = tmp_path / "snap.yaml"
    assert main(["snapshot", "--kubeconfig", str(kubeconfig), "-o", str(out)]) == 0
    manifests = load_manifests([out])
    assert len(manifests.nodes) == 14
    assert {n.arch for n in manifests.nodes} == {"amd64", "arm64"}
    controllers = [w for w in manifests.workloads if w.owner is None]
    assert sorted({w.kind for w in controllers}) == [
        "CronJob",
        "DaemonSet",
        "Deployment",
        "Job",
        "StatefulSet",
    ]


def test_snapshot_403_names_rule_and_exits_3(
    apiserver: ReplayServer, certs: Certs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_kubeconfig(tmp_path / "kc", apiserver.url, certs, token=NOBODY_TOKEN)
    out = tmp_path / "snap.yaml"
    code = main(["snapshot", "--kubeconfig", str(config), "-o", str(out)])
    assert code == 3
    err = capsys.readouterr().err
    assert 'add rule {apiGroups: [""], resources: ["nodes"], verbs: ["list"]}' in err
    assert "Traceback" not in err
    assert not out.exists()
    assert not list(tmp_path.glob(".snap.yaml.*"))


def test_snapshot_unknown_context_exits_2(
    kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["snapshot", "--kubeconfig", str(kubeconfig), "--context", "nope"])
    assert code == 2
    assert "context 'nope' not found" in capsys.readouterr().err


def test_snapshot_missing_namespace_exits_2(
    kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["snapshot", "--kubeconfig", str(kubeconfig), "-n", "does-not-exist"])
    assert code == 2
    assert "namespace 'does-not-exist' does not exist" in capsys.readouterr().err


def test_offline_check_of_a_snapshot_matches_the_live_check(
    kubeconfig: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "snap.yaml"
    assert main(["snapshot", "--kubeconfig", str(kubeconfig), "-o", str(out)]) == 0
    capsys.readouterr()
    main(["check", str(out), "--format", "json"])
    offline = json.loads(capsys.readouterr().out)
    main(["check", "--live", "--kubeconfig", str(kubeconfig), "--format", "json"])
    live = json.loads(capsys.readouterr().out)

    def keys(report: dict) -> list[str]:  # type: ignore[type-arg]
        return sorted(json.dumps(w.get("workload", w).get("name")) for w in report["workloads"])

    # Children (pods, ReplicaSets, the CronJob's Job) are represented by their controllers.
    assert len(offline["workloads"]) == 11
    assert keys(offline) == keys(live)


def test_snapshot_to_stdout_is_all_or_nothing(
    apiserver: ReplayServer, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Nodes, Deployments and more answer; then the server fails on StatefulSets.
    for key in [k for k in apiserver.routes if k[1].endswith("/statefulsets")]:
        apiserver.routes[key] = [Response(500, b'{"kind":"Status","code":500,"message":"boom"}')]
    code = main(["snapshot", "--kubeconfig", str(kubeconfig)])
    captured = capsys.readouterr()
    assert code == 3, captured.err
    assert captured.out == ""
    assert captured.err.startswith("archfit: error: ")
