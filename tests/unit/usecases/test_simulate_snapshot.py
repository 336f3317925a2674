"""`archfit simulate` on a snapshot: controllers, their children and their bound pods together."""

from __future__ import annotations

from pathlib import Path

from archfit.scheduling.results import SimulateOptions
from archfit.usecases.simulate import run_simulate

SNAPSHOT = Path(__file__).parents[2] / "fixtures" / "simulate-snapshot" / "snapshot.yaml"


def test_snapshot_pods_are_counted_once() -> None:
    report = run_simulate([SNAPSHOT], SimulateOptions())
    pods = {(r.pod.name, r.pod.owner, r.node, r.bound_in_input) for r in report.pods}
    names = sorted(name for name, *_ in pods)
    # Two running web pods as they are; one pod for `pending` (its Deployment, not also its
    # ReplicaSet); one for the CronJob's run (not also for its Job).
    assert len(names) == 4, names
    assert ("web-5d9c7b8f6-abcde", "ReplicaSet/web-5d9c7b8f6", "amd-1", True) in pods
    assert ("web-5d9c7b8f6-fghij", "ReplicaSet/web-5d9c7b8f6", "amd-2", True) in pods
    assert sum(name.startswith("pending-") for name in names) == 1
    assert sum(name.startswith("report-") for name in names) == 1
    pending = next(r for r in report.pods if r.pod.name.startswith("pending-"))
    assert pending.node is None
    assert pending.message is not None
    assert pending.message.startswith("0/2 nodes are available: 2 Insufficient cpu.")
    nodes = {n.name: n for n in report.nodes}
    assert set(nodes) == {"amd-1", "amd-2"}


def test_running_pod_of_a_failed_node_is_recreated_elsewhere() -> None:
    report = run_simulate([SNAPSHOT], SimulateOptions(fail=("amd-1",)))
    (what_if,) = report.what_ifs
    outcomes = {d.pod: (d.outcome, d.node) for d in what_if.displaced}
    # The controller's replacement names no node (the running pod's spec.nodeName is not
    # part of its template), so it lands on the surviving node.
    assert outcomes["shop/web-5d9c7b8f6-abcde"] == ("rescheduled", "amd-2")
    assert what_if.ok
    # The N-1 sweep (always on small clusters) attributes the pods to their controller.
    assert "Pod/shop/web-5d9c7b8f6-abcde" not in report.fragile
