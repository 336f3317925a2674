"""A stand-in for the policy run: every workload gets the same placement (the fix tests judge the
writing, not the policy)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from archfit.model.check import CheckReport, WorkloadVerdict
from archfit.model.placement import Placement
from archfit.model.pod import PreferredSchedulingTerm
from archfit.model.selectors import NodeSelectorRequirement, NodeSelectorTerm
from archfit.sources import load_manifests

AMD64_ONLY = Placement(
    allowed_architectures=frozenset({"amd64"}),
    required=(NodeSelectorRequirement("kubernetes.io/arch", "In", ("amd64",)),),
    preferred=(
        PreferredSchedulingTerm(
            20,
            NodeSelectorTerm(
                (
                    NodeSelectorRequirement(
                        "node.kubernetes.io/instance-type", "NotIn", ("raspberry-pi",)
                    ),
                )
            ),
        ),
    ),
)


def fixed_check(placement: Placement = AMD64_ONLY) -> Callable[[Sequence[Path]], CheckReport]:
    def check(paths: Sequence[Path]) -> CheckReport:
        manifests = load_manifests(list(paths))
        return CheckReport(
            workloads=tuple(WorkloadVerdict(w, placement=placement) for w in manifests.workloads)
        )

    return check
