"""Planning node labels: ownership, removals, predicted conflicts, Talos patches, kubectl."""

from __future__ import annotations

from typing import Any

import yaml

from archfit.usecases.label import kubectl_commands, plan_labels, talos_patch


def _node(
    name: str, arch: str, labels: dict[str, str], allocatable: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/arch": arch, **labels}},
        "status": {"allocatable": allocatable or {}},
    }


PI_KEY = "node.kubernetes.io/instance-type"
PI = {PI_KEY: "raspberry-pi"}


def test_removes_only_labels_archfit_owns() -> None:
    node = _node("gpu1", "amd64", {"archfit.dev/gpu-vendor": "amd", "team": "ml"})
    plan = plan_labels(
        [node],
        longhorn=False,
        owners={"gpu1": {"archfit.dev/gpu-vendor": {"archfit"}, "team": {"kubectl-label"}}},
    )
    (gpu1,) = plan.nodes
    assert [(c.key, c.action) for c in gpu1.changes] == [("archfit.dev/gpu-vendor", "remove")]
    assert gpu1.apply_body() == {}  # applying nothing makes the server drop archfit's label
    assert kubectl_commands(plan) == ["kubectl label node gpu1 --overwrite archfit.dev/gpu-vendor-"]


def test_predicts_a_conflict_with_another_manager() -> None:
    node = _node("g", "amd64", {"archfit.dev/gpu-vendor": "amd"}, {"nvidia.com/gpu": "1"})
    plan = plan_labels(
        [node], longhorn=False, owners={"g": {"archfit.dev/gpu-vendor": {"gpu-operator"}}}
    )
    (change,) = plan.nodes[0].changes
    assert change.action == "change"
    assert change.current == "amd"
    assert change.value == "nvidia"
    assert change.conflicts_with == ("gpu-operator",)


def test_keeps_labels_archfit_already_owns_in_the_apply_body() -> None:
    node = _node("pi", "arm64", {**PI, "kubernetes.io/storage": "none"})
    owners = {"pi": {"kubernetes.io/storage": {"archfit"}, PI_KEY: {"kubelet"}}}
    plan = plan_labels([node], longhorn=False, owners=owners)
    (pi,) = plan.nodes
    assert {c.action for c in pi.changes} == {"keep"}
    assert pi.pending == ()
    # Nothing to apply now; if something were, archfit's own storage label would be resent.
    assert pi.apply_body() == {"kubernetes.io/storage": "none"}


def test_talos_patch_has_no_restricted_key() -> None:
    plan = plan_labels([_node("pi", "arm64", PI)], longhorn=True)
    text, warnings = talos_patch(plan.nodes[0])
    labels = yaml.safe_load(text)["machine"]["nodeLabels"]
    assert labels == {PI_KEY: "raspberry-pi", "node.kubernetes.io/storage": "none"}
    assert len(warnings) == 1
    assert "kubernetes.io/storage" in warnings[0]
    assert [i.key for i in plan.issues] == ["kubernetes.io/storage"]


def test_longhorn_disk_label_only_on_storage_nodes() -> None:
    plan = plan_labels(
        [_node("pi", "arm64", PI), _node("x", "amd64", {})],
        storage_classes=[{"provisioner": "driver.longhorn.io"}],
    )
    desired = {n.node: dict(n.desired) for n in plan.nodes}
    assert "node.longhorn.io/create-default-disk" not in desired["pi"]
    assert desired["x"] == {"node.longhorn.io/create-default-disk": "true"}
