"""`archfit label` against the recorded cluster: plan, apply (server-side), conflicts, Talos."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from archfit.cli.main import main
from tests.integration.kube.replay import ReplayServer, Response

GPU_NODES = ["danilo", "drizzt", "elminster", "khelben"]
STORAGE_NODES = sorted(
    ["bruenor", "catti", "storm", "danilo", "drizzt", "elminster", "khelben", "regis", "wulfgar"]
)
PIS = ["durnan", "elaith", "jarlaxle", "mirt", "volo"]


def _plan(kubeconfig: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    assert main(["label", "--kubeconfig", str(kubeconfig), "--format", "json", *extra]) == 0
    plan: dict[str, Any] = json.loads(capsys.readouterr().out)
    return plan


def test_plan_from_live_nodes(kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan(kubeconfig, capsys)
    pending = {
        (n["node"], c["key"], c["value"])
        for n in plan["nodes"]
        for c in n["changes"]
        if c["action"] != "keep"
    }
    expected = {(n, "archfit.dev/gpu-vendor", "nvidia") for n in GPU_NODES} | {
        (n, "node.longhorn.io/create-default-disk", "true") for n in STORAGE_NODES
    }
    assert pending == expected
    # The Pis already carry the seed's labels (set by the node's creator): nothing to do.
    pis = {n["node"]: n for n in plan["nodes"] if n["node"] in PIS}
    for node in pis.values():
        assert node["desired"] == {
            "node.kubernetes.io/instance-type": "raspberry-pi",
            "kubernetes.io/storage": "none",
        }
        assert {c["action"] for c in node["changes"]} == {"keep"}
        assert ["unknown"] in [c["owners"] for c in node["changes"]]
    # The linter says the seed's storage key cannot be self-set and proposes another.
    assert any("node.kubernetes.io/storage=none" in issue for issue in plan["issues"])


def test_plan_without_longhorn(kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan(kubeconfig, capsys, "--no-longhorn")
    keys = {c["key"] for n in plan["nodes"] for c in n["changes"] if c["action"] != "keep"}
    assert keys == {"archfit.dev/gpu-vendor"}


def _node_ok(
    server: ReplayServer,
    fixtures: Path,
    node: str,
    *,
    status: int = 200,
    body_file: str = "ssa-apply-node-labels.json",
) -> None:
    body = (fixtures / body_file).read_bytes()
    for query in (
        {"fieldManager": "archfit"},
        {"fieldManager": "archfit", "dryRun": "All"},
        {"fieldManager": "archfit", "force": "true"},
    ):
        server.add("PATCH", f"/api/v1/nodes/{node}", query, Response(status, body), first=True)


def test_apply_server_side_one_request_per_node(
    kubeconfig: Path,
    apiserver: ReplayServer,
    apiserver_fixtures: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for node in STORAGE_NODES:
        _node_ok(apiserver, apiserver_fixtures, node)
    code = main(["label", "--kubeconfig", str(kubeconfig), "--apply"])
    out = capsys.readouterr().out
    assert code == 0
    # The plan is printed before anything is applied.
    assert out.index("archfit.dev/gpu-vendor") < out.index("applying labels to 9 nodes")
    patches = [r for r in apiserver.received if r.method == "PATCH"]
    assert sorted(r.path.rsplit("/", 1)[1] for r in patches) == STORAGE_NODES
    danilo = next(r for r in patches if r.path.endswith("/danilo"))
    assert danilo.query == {"fieldManager": "archfit"}
    assert danilo.headers["Content-Type"] == "application/apply-patch+yaml"
    assert json.loads(danilo.body)["metadata"]["labels"] == {
        "archfit.dev/gpu-vendor": "nvidia",
        "node.longhorn.io/create-default-disk": "true",
    }
    # Labels archfit does not own are never sent (so never taken over or removed).
    for r in patches:
        sent = json.loads(r.body)["metadata"]["labels"]
        assert "kubernetes.io/arch" not in sent
        assert "kubernetes.io/storage" not in sent


def test_apply_dry_run_server(
    kubeconfig: Path,
    apiserver: ReplayServer,
    apiserver_fixtures: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for node in STORAGE_NODES:
        _node_ok(apiserver, apiserver_fixtures, node)
    code = main(["label", "--kubeconfig", str(kubeconfig), "--apply", "--dry-run=server"])
    assert code == 0
    patches = [r for r in apiserver.received if r.method == "PATCH"]
    assert len(patches) == 9
    assert all(r.query == {"fieldManager": "archfit", "dryRun": "All"} for r in patches)
    assert "nothing is persisted" in capsys.readouterr().out


def test_apply_stops_at_first_conflict(
    kubeconfig: Path,
    apiserver: ReplayServer,
    apiserver_fixtures: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _node_ok(apiserver, apiserver_fixtures, "bruenor")
    _node_ok(
        apiserver,
        apiserver_fixtures,
        "catti",
        status=409,
        body_file="ssa-apply-conflict-arch-label.json",
    )
    for node in STORAGE_NODES[2:]:
        _node_ok(apiserver, apiserver_fixtures, node)
    code = main(["label", "--kubeconfig", str(kubeconfig), "--apply"])
    err = capsys.readouterr().err
    assert code == 3
    assert "stopped at node catti: kubernetes.io/arch (owned by unknown)" in err
    assert "applied before: bruenor" in err
    assert "--force-conflicts" in err
    patched = [r.path.rsplit("/", 1)[1] for r in apiserver.received if r.method == "PATCH"]
    assert patched == ["bruenor", "catti"]


def test_force_conflicts_sends_force(
    kubeconfig: Path,
    apiserver: ReplayServer,
    apiserver_fixtures: Path,
) -> None:
    for node in STORAGE_NODES:
        _node_ok(apiserver, apiserver_fixtures, node)
    assert main(["label", "--kubeconfig", str(kubeconfig), "--apply", "--force-conflicts"]) == 0
    patches = [r for r in apiserver.received if r.method == "PATCH"]
    assert all(r.query == {"fieldManager": "archfit", "force": "true"} for r in patches)


def test_talos_patches_use_self_settable_keys(
    kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "talos"
    assert main(["label", "--kubeconfig", str(kubeconfig), "--talos", str(out)]) == 0
    assert sorted(p.stem for p in out.glob("*.yaml")) == sorted(STORAGE_NODES + PIS)
    mirt = yaml.safe_load((out / "mirt.yaml").read_text())
    assert mirt == {
        "machine": {
            "nodeLabels": {
                "node.kubernetes.io/instance-type": "raspberry-pi",
                "node.kubernetes.io/storage": "none",
            }
        }
    }
    assert "instead of kubernetes.io/storage" in (out / "mirt.yaml").read_text()
    danilo = yaml.safe_load((out / "danilo.yaml").read_text())
    assert danilo["machine"]["nodeLabels"] == {
        "archfit.dev/gpu-vendor": "nvidia",
        "node.longhorn.io/create-default-disk": "true",
    }
    err = capsys.readouterr().err
    assert "mirt: wrote node.kubernetes.io/storage=none instead of kubernetes.io/storage" in err


def test_kubectl_commands(kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["label", "--kubeconfig", str(kubeconfig), "--kubectl", "--no-longhorn"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"kubectl label node {n} --overwrite archfit.dev/gpu-vendor=nvidia" for n in GPU_NODES
    ]


def test_inventory_marks_a_new_pi(
    kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "nodes.yaml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": "regis",
                    "labels": {
                        "kubernetes.io/arch": "amd64",
                        "node.kubernetes.io/instance-type": "raspberry-pi",
                    },
                },
            }
        )
    )
    plan = _plan(kubeconfig, capsys, "--cluster", str(inventory), "--no-longhorn")
    regis = next(n for n in plan["nodes"] if n["node"] == "regis")
    assert regis["desired"] == {
        "node.kubernetes.io/instance-type": "raspberry-pi",
        "kubernetes.io/storage": "none",
    }
    assert {c["action"] for c in regis["changes"]} == {"add"}


def test_dry_run_needs_apply(kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["label", "--kubeconfig", str(kubeconfig), "--dry-run=server"]) == 2
    assert "--dry-run=server goes with --apply" in capsys.readouterr().err


_GHOST_INVENTORY = """\
apiVersion: archfit.dev/v1alpha1
kind: Cluster
metadata: {name: home}
nodes:
  - name: ghost
    arch: amd64
    allocatable: {cpu: "4", memory: 8Gi, pods: 110}
"""


def test_the_inventory_is_found_from_the_current_directory(
    kubeconfig: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As every command: cluster.yaml beside (or above) where archfit runs, up to `.git`.
    (tmp_path / ".git").mkdir()
    (tmp_path / "cluster.yaml").write_text(_GHOST_INVENTORY)
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert _plan(kubeconfig, capsys)["missing"] == ["ghost"]
    monkeypatch.chdir(tmp_path.parent)  # outside the repository: nothing found
    assert _plan(kubeconfig, capsys)["missing"] == []
