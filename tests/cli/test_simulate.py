"""`archfit simulate` end to end: output shapes, exit codes and the what-if options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archfit.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "simulate"
HOMELAB = ROOT / "examples" / "homelab"


def _json(capsys: pytest.CaptureFixture[str], *args: str, code: int) -> dict[str, Any]:
    assert main(["simulate", *args, "--format", "json"]) == code
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def test_everything_placed_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, str(TINY), code=0)
    assert report["kind"] == "SimulationReport"
    assert report["summary"] == {
        "nodes": 3,
        "pods": 4,
        "scheduled": 4,
        "unschedulable": 0,
        "preempted": 0,
        "wouldCrash": 0,
        "unknownImagePlatforms": 4,  # no archfit.lock beside the fixture: nothing vouched for
    }
    web = [p for p in report["pods"] if p["owner"] and p["owner"].startswith("ReplicaSet/web-")]
    assert len(web) == 2
    assert set(web[0]) == {"namespace", "name", "owner", "node", "message", "image"}
    assert web[0]["image"] == {
        "outcome": "unknown",
        "image": "nginx:1.27",
        "reason": "no archfit.lock",
        "message": "nginx:1.27: platforms unknown (no archfit.lock)",
    }
    assert {p["node"] for p in web} == {"worker", "pi"}  # default spreading over hostnames
    exporters = {p["node"] for p in report["pods"] if p["owner"] == "DaemonSet/exporter"}
    assert exporters == {"worker", "pi"}
    arches = {a["arch"]: a for a in report["architectures"]}
    assert arches["arm64"]["cpu"] == {"requested": 550, "allocatable": 3500, "percent": 15.7}


def test_explain_adds_filters_and_scores(capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, str(TINY), "--explain", code=0)
    web = next(p for p in report["pods"] if p["owner"] and p["owner"].startswith("ReplicaSet/"))
    assert web["filters"]["cp"]["plugin"] == "TaintToleration"
    assert web["filters"]["cp"]["reason"] == (
        "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
    )
    scores = web["scores"]
    assert set(scores) == {"worker", "pi"}
    for node_scores in scores.values():
        assert node_scores["total"] == sum(v for k, v in node_scores.items() if k != "total")
        assert node_scores["TaintToleration"] == 300


def test_drain_blocked_by_budget_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, str(TINY), "--drain", "worker", code=1)
    (verdict,) = report["whatIfs"]
    assert verdict["kind"] == "drain"
    assert not verdict["ok"]
    assert verdict["displaced"][0]["outcome"] == "blocked"


def test_add_profile_nodes_gets_daemonset_pods(capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, str(TINY), "--add", "2x raspberry-pi-5-8gb", code=0)
    added = [n["name"] for n in report["nodes"] if n["added"]]
    assert len(added) == 2
    exporters = {p["node"] for p in report["pods"] if p["owner"] == "DaemonSet/exporter"}
    assert set(added) <= exporters


def test_remove_and_fail_each(capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, str(TINY), "--remove", "pi", "--fail-each", code=1)
    assert [n["name"] for n in report["nodes"]] == ["cp", "worker"]
    sweep = {s["node"]: s for s in report["sweep"]}
    assert not sweep["worker"]["ok"]  # no room left for web once worker dies
    assert sweep["cp"]["ok"]


def test_homelab_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", str(HOMELAB), "--fail", "regis"])
    out = capsys.readouterr().out
    assert code == 1
    assert "Unschedulable pods" in out
    assert "ai/llm-finetune" in out
    assert "fail regis: FAILS" in out
    assert "stuck       databases/postgres-0" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kubernetes-version", "1.20"], "unsupported Kubernetes version"),
        (["--fail", "nope"], "no node named 'nope'"),
        (["--add", "2x not-a-profile"], "unknown node profile"),
        (["--format", "xml"], "--format"),
    ],
)
def test_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["simulate", str(TINY), *args]) == 2
    assert message in capsys.readouterr().err


def test_the_inventory_above_the_target_is_found(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `check examples/homelab/apps` has always found the example's cluster.yaml one level
    # up; simulate finds it the same way, and both reports name it.
    monkeypatch.chdir(ROOT)
    report = _json(capsys, "examples/homelab/apps", "--suggest", code=1)
    assert report["summary"]["nodes"] == 14
    assert report["inputs"] == {
        "paths": ["examples/homelab/apps"],
        "cluster": "examples/homelab/cluster.yaml",
        "lockfile": "examples/homelab/archfit.lock",
    }
    assert main(["simulate", "examples/homelab/apps"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "  cluster    homelab: from examples/homelab/cluster.yaml"


def test_an_explicit_cluster_wins_over_the_one_found(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "apps.yaml").write_text((TINY / "apps.yaml").read_text())
    (tmp_path / "cluster.yaml").write_text((HOMELAB / "cluster.yaml").read_text())
    found = _json(capsys, str(tmp_path), code=0)
    assert found["summary"]["nodes"] == 14
    given = _json(capsys, str(tmp_path), "--cluster", str(TINY / "cluster.yaml"), code=0)
    assert given["summary"]["nodes"] == 3
    assert given["inputs"]["cluster"] == str(TINY / "cluster.yaml")


def test_no_inventory_up_to_the_repository_top_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "cluster.yaml").write_text((TINY / "cluster.yaml").read_text())
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "apps.yaml").write_text((TINY / "apps.yaml").read_text())
    assert main(["simulate", str(tmp_path / "repo")]) == 2
    assert "no nodes: pass --cluster" in capsys.readouterr().err


_AMD64_ONLY_LOCK = """\
apiVersion: archfit.dev/v1alpha1
kind: ImageLock
images:
  docker.io/library/nginx:1.27:
    digest: sha256:1111111111111111111111111111111111111111111111111111111111111111
    kind: index
    platforms: [linux/amd64]
  docker.io/prom/node-exporter:v1.8.2:
    digest: sha256:2222222222222222222222222222222222222222222222222222222222222222
    kind: manifest
    platforms: [linux/amd64]
"""


def test_pods_placed_where_their_images_cannot_run_would_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("apps.yaml", "cluster.yaml"):
        (tmp_path / name).write_text((TINY / name).read_text())
    (tmp_path / "archfit.lock").write_text(_AMD64_ONLY_LOCK)
    report = _json(capsys, str(tmp_path), code=1)
    assert report["summary"]["scheduled"] == 4
    assert report["summary"]["wouldCrash"] == 2
    assert report["summary"]["unknownImagePlatforms"] == 0
    on_pi = {p["name"].split("-")[0]: p["image"] for p in report["pods"] if p["node"] == "pi"}
    assert on_pi["web"]["outcome"] == "would-crash"
    assert on_pi["web"]["reason"] == "no match for platform in manifest"
    assert on_pi["exporter"]["reason"] == "exec format error"
    assert on_pi["exporter"]["message"] == (
        "prom/node-exporter:v1.8.2 ships only linux/amd64; on pi (linux/arm64) "
        "it fails with exec format error"
    )
    assert all("image" not in p for p in report["pods"] if p["node"] == "worker")

    assert main(["simulate", str(tmp_path)]) == 1
    text = capsys.readouterr().out
    assert "4 scheduled, 0 unschedulable, 0 preempted, 2 would crash" in text
    assert "Pods that would crash on their node" in text
    arm64_row = next(line for line in text.splitlines() if line.startswith("  arm64"))
    assert arm64_row.split()[-1] == "2"  # the WOULD CRASH column of the architecture
