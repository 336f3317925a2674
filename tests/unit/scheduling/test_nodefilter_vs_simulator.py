"""`scheduling.nodefilter` (what `archfit check` uses) and the scheduler simulator must agree
on which nodes reject a lone pod, and why. Compared over the bundled example, per node, as sets of
reasons (the FailedScheduling histogram does not depend on their order)."""

from __future__ import annotations

from pathlib import Path

from archfit.scheduling.nodefilter import LonePodFilter
from archfit.scheduling.simulate import Simulation
from archfit.sources import load_inventory, load_manifests

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples/homelab"


def test_filters_agree_with_the_simulator() -> None:
    manifests = load_manifests([EXAMPLE])
    nodes = load_inventory(EXAMPLE / "cluster.yaml").nodes
    phase = LonePodFilter()
    compared = 0
    for workload in manifests.workloads:
        if workload.kind == "DaemonSet" or any(
            v.source == "persistentVolumeClaim" for v in workload.template.volumes
        ):
            continue  # DaemonSet pods are pinned per node; claims need storage objects
        pod = phase.pod(workload.template)
        ours = {n.name: frozenset(phase.reasons(pod, n)) for n in nodes}
        decision = Simulation(nodes, [workload]).run()[0].decision
        assert decision is not None
        theirs = {name: frozenset(s.reasons) for name, s in decision.filters.items()}
        assert {k: v for k, v in ours.items() if v} == theirs, workload.key
        compared += 1
    assert compared >= 15
