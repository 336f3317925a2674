"""The kubelet's self-labelling rules (kubernetes well_known_labels.go / kubelet flag checks)."""

from __future__ import annotations

import pytest

from archfit.model.node_labels import kubelet_may_set, lint_self_labels


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("kubernetes.io/arch", True),
        ("kubernetes.io/hostname", True),
        ("node.kubernetes.io/instance-type", True),
        ("node.kubernetes.io/storage", True),  # node.kubernetes.io prefix
        ("kubelet.kubernetes.io/anything", True),
        ("foo.node.kubernetes.io/bar", True),  # a subdomain of an allowed namespace
        ("topology.kubernetes.io/zone", True),
        ("beta.kubernetes.io/instance-type", True),
        ("archfit.dev/gpu-vendor", True),  # not a kubernetes.io label at all
        ("node.longhorn.io/create-default-disk", True),
        ("storage", True),  # no prefix
        ("kubernetes.io/storage", False),  # the seed's label
        ("node-role.kubernetes.io/worker", False),
        ("app.kubernetes.io/name", False),
        ("k8s.io/anything", False),
        ("example.k8s.io/x", False),
        ("topology.kubernetes.io/rack", False),
    ],
)
def test_kubelet_may_set(key: str, allowed: bool) -> None:
    assert kubelet_may_set(key) is allowed


def test_lint_proposes_self_settable_storage_key() -> None:
    issues = lint_self_labels(
        {"kubernetes.io/storage": "none", "node.kubernetes.io/instance-type": "raspberry-pi"}
    )
    assert len(issues) == 1
    assert issues[0].key == "kubernetes.io/storage"
    assert issues[0].alternative == "node.kubernetes.io/storage"
    assert "node.kubernetes.io/storage=none" in issues[0].message
    assert "archfit label --apply" in issues[0].message
