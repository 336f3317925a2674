from __future__ import annotations

import pytest

from archfit.service.exporter.pending import PENDING_REASONS, pending_reasons

GPU = (
    "0/14 nodes are available: 11 Insufficient nvidia.com/gpu, 3 node(s) had untolerated taint "
    "{node-role.kubernetes.io/control-plane: }, 5 Insufficient memory. preemption: 0/14 nodes "
    "are available: 11 No preemption victims found for incoming pod, 3 Preemption is not "
    "helpful for scheduling."
)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (GPU, ("insufficient_resources", "untolerated_taint")),
        (
            "0/5 nodes are available: 5 node(s) didn't match Pod's node affinity/selector. "
            "preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.",
            ("node_affinity",),
        ),
        (
            "0/14 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
            "preemption: 0/14 nodes are available: 14 Preemption is not helpful for scheduling.",
            ("volume",),
        ),
        ("0/3 nodes are available: 3 node(s) had volume node affinity conflict.", ("volume",)),
        ("0/3 nodes are available: 3 node(s) were unschedulable.", ("node_unschedulable",)),
        ("something new the scheduler says", ("other",)),
        ("", ()),
    ],
)
def test_reasons(message: str, expected: tuple[str, ...]) -> None:
    assert pending_reasons(message) == expected


def test_every_label_is_declared() -> None:
    for message in (GPU, "x", "node(s) didn't have free ports", "too many pods"):
        assert set(pending_reasons(message)) <= set(PENDING_REASONS)
