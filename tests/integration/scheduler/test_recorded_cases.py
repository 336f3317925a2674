"""Every case recorded from a real kube-scheduler 1.32 is reproduced, pod by pod: the node (or
tie set and the recorded choice), the exact FailedScheduling message, preemption victims, and
every node's weighted per-plugin scores and total."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from archfit.model.k8s import node_from_k8s
from archfit.scheduling.eviction import noexecute_evictions

from .replay import ReplayResult, replay

CASES = [
    "01-arch-required-affinity",
    "02-node-selector",
    "03-taints-tolerations",
    "04-resources",
    "05-extended-resources",
    "06-preferred-node-affinity",
    "07-topology-spread",
    "08-inter-pod-affinity",
    "09-host-ports",
    "10-daemonsets",
    "11-mixed-random",
    "12-cordon-noexecute",
    "13-priority-preemption",
]


def _cases_dir(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "scheduler" / "cases"


_REPLAYED: dict[tuple[Path, bool], ReplayResult] = {}


def _replay(path: Path, *, fast: bool = True) -> ReplayResult:
    """Each case is replayed once per session and cycle kind; several tests read the result.
    The vectorised cycle is the default (what `archfit simulate` runs); the exact one is
    replayed too, so both stay pinned to the recordings."""
    if (path, fast) not in _REPLAYED:
        _REPLAYED[(path, fast)] = replay(path, fast=fast)
    return _REPLAYED[(path, fast)]


def test_every_recorded_case_is_listed(shared_dir: Path) -> None:
    assert sorted(p.name for p in _cases_dir(shared_dir).iterdir() if p.is_dir()) == CASES


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "exact"])
@pytest.mark.parametrize("case", CASES)
def test_case_replays_exactly(shared_dir: Path, case: str, fast: bool) -> None:
    result = _replay(_cases_dir(shared_dir) / case, fast=fast)
    assert result.checked > 0
    assert not result.mismatches, "\n".join(
        f"{m.pod} {m.what}:\n  expected {m.expected}\n  actual   {m.actual}"
        for m in result.mismatches[:10]
    )


def test_recorded_tie_sets_are_the_simulated_ones(shared_dir: Path) -> None:
    """`ties[]` of every case: the simulator broke a tie among exactly the recorded nodes (and
    nowhere else), and the recorded choice is one of them."""
    for case in CASES:
        path = _cases_dir(shared_dir) / case
        doc = json.loads((path / "result.json").read_text())
        asked = {pod: sorted(nodes) for pod, nodes, kind in _replay(path).ties if kind == "score"}
        recorded = {tie["pod"]: sorted(tie["nodes"]) for tie in doc["ties"]}
        assert asked == recorded, case
        for tie in doc["ties"]:
            assert tie["chosen"] in tie["nodes"]


def test_case_12_noexecute_taint_evicts_what_the_controller_evicted(shared_dir: Path) -> None:
    path = _cases_dir(shared_dir) / "12-cordon-noexecute"
    doc = json.loads((path / "result.json").read_text())
    result = _replay(path)
    assert result.scheduler is not None
    cluster = result.scheduler.cluster
    after = {
        n["metadata"]["name"]: node_from_k8s(n)
        for n in yaml.safe_load((path / "nodes-after.yaml").read_text())["items"]
    }
    regis = cluster.node("regis")
    evictions = noexecute_evictions(regis.pods, after["regis"].taints)
    got = {e.pod.key: e.after_seconds for e in evictions}
    expected = {d["pod"]: d["deletedAfterSeconds"] for d in doc["postStep"]["deletedPods"]}
    assert set(got) == set(expected)
    for key, seconds in got.items():
        # The controller acts within a second of the deadline.
        assert seconds <= expected[key] < seconds + 1
    stayed = {p.key for p in regis.pods} - set(got)
    assert stayed == {"default/regis-tolerates-forever"}


def test_case_13_preemption_tie_is_the_recorded_one(shared_dir: Path) -> None:
    """high-3 found four equal candidates (one priority-1000 victim each); nothing in the
    upstream ordering separates them, so the choice went to the tie-breaker."""
    result = _replay(_cases_dir(shared_dir) / "13-priority-preemption")
    asked = [(pod, sorted(nodes)) for pod, nodes, kind in result.ties if kind == "preemption"]
    assert asked == [("default/high-3", ["durnan", "elaith", "jarlaxle", "volo"])]


def test_the_vectorised_cycle_decides_most_recorded_pods(shared_dir: Path) -> None:
    """The fast replay really goes through the vectorised cycle (it declines pods with
    inter-pod affinity, host ports, spread filters, DaemonSet pins and unschedulable pods)."""
    accepted = {}
    for case in CASES:
        scheduler = _replay(_cases_dir(shared_dir) / case).scheduler
        assert scheduler is not None
        assert scheduler.fast is not None
        accepted[case] = scheduler.fast.accepted
    assert accepted["02-node-selector"] > 0
    assert accepted["06-preferred-node-affinity"] > 0
    assert accepted["11-mixed-random"] > 0
    assert sum(accepted.values()) > 50, accepted
