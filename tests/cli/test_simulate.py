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
    }
    web = [p for p in report["pods"] if p["owner"] and p["owner"].startswith("ReplicaSet/web-")]
    assert len(web) == 2
    assert set(web[0]) == {"namespace", "name", "owner", "node", "message"}
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
