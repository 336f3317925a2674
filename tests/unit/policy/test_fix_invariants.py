"""Invariants of `fix` as the policy engine and the rewriter produce it together: a workload that
has a node before the edit has one after it, `check` after the edit reports none of the findings
the edit claims to address, and a workload `check` marks ok gets no edit."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from archfit.manifests.rewrite.placement import apply_placement
from archfit.model.check import WorkloadVerdict
from archfit.model.finding import Finding
from archfit.model.k8s import workload_from_k8s
from archfit.model.node import Node
from archfit.model.workload import PersistentVolumeClaim, SourceRef, StorageClass, Workload
from archfit.policy import Engine, Settings, StorageIndex

from .builders import FakeImages, node

# How a finding says that `fix` addresses it.
CLAIM = "`archfit fix` writes it"
INTEL = "feature.node.kubernetes.io/pci-0300_8086.present"
PLATFORMS = {
    "img:amd64": "amd64",
    "img:arm64": "arm64",
    "img:multi": "amd64 arm64",
    "postgres:16": "amd64 arm64",
}
PALETTE: dict[str, Node] = {
    "worker": node("worker").build(),
    "worker-nostorage": node("worker-nostorage").label("kubernetes.io/storage", "none").build(),
    "arc": node("arc").label(INTEL).build(),
    "nv": node("nv").gpu("nvidia.com/gpu").build(),
    "pi": node("pi").pi().label("kubernetes.io/storage", "none").build(),
    "arm": node("arm").arch("arm64").build(),
    "cp": node("cp").control_plane().build(),
}
LONGHORN = StorageClass("longhorn", "driver.longhorn.io")


def _workload_obj(
    image: str,
    *,
    gpu: bool = False,
    dri: bool = False,
    runtime: bool = False,
    longhorn: bool = False,
    pinned: str | None = None,
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": image}
    if gpu:
        container["resources"] = {"limits": {"nvidia.com/gpu": 1}}
    spec: dict[str, Any] = {"containers": [container]}
    if dri:
        spec["volumes"] = [{"name": "dri", "hostPath": {"path": "/dev/dri"}}]
    if runtime:
        spec["runtimeClassName"] = "nvidia"
    if pinned:
        spec["nodeSelector"] = {"kubernetes.io/arch": pinned}
    obj: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet" if longhorn else "Deployment",
        "metadata": {"name": "app", "namespace": "default"},
        "spec": {"template": {"metadata": {}, "spec": spec}},
    }
    if longhorn:
        obj["spec"]["volumeClaimTemplates"] = [
            {"metadata": {"name": "data"}, "spec": {"storageClassName": "longhorn"}}
        ]
    return obj


def _check(obj: dict[str, Any], nodes: list[Node]) -> tuple[Workload, WorkloadVerdict]:
    wl = workload_from_k8s(obj, SourceRef("app.yaml", 1))
    claims: tuple[PersistentVolumeClaim, ...] = ()
    engine = Engine(
        Settings(),
        FakeImages(PLATFORMS),
        nodes,
        inventory=True,
        storage=StorageIndex.of(claims, [LONGHORN]),
    )
    return wl, engine.evaluate(wl)


def _fix(obj: dict[str, Any], verdict: WorkloadVerdict) -> dict[str, Any]:
    fixed = copy.deepcopy(obj)
    if verdict.findings:  # what run_fix does: a workload marked ok gets no edit
        apply_placement(fixed["spec"]["template"]["spec"], verdict.placement)
    return fixed


def _key(found: Finding) -> tuple[str, object]:
    # One workload may have a finding of one id per GPU vendor; fix may address some of them.
    return found.id, found.details.get("vendor")


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(st.sampled_from(sorted(PALETTE)), min_size=1, max_size=5, unique=True),
    image=st.sampled_from(sorted(PLATFORMS)),
    shape=st.fixed_dictionaries(
        {
            "gpu": st.booleans(),
            "dri": st.booleans(),
            "runtime": st.booleans(),
            "longhorn": st.booleans(),
            "pinned": st.sampled_from([None, "amd64", "arm64"]),
        }
    ),
)
def test_fix_keeps_a_schedulable_workload_schedulable(
    names: list[str], image: str, shape: dict[str, Any]
) -> None:
    nodes = [PALETTE[n] for n in names]
    obj = _workload_obj(image, **shape)
    _, before = _check(obj, nodes)
    fixed = _fix(obj, before)
    _, after = _check(fixed, nodes)
    if before.eligible_nodes:
        assert after.eligible_nodes, (before.placement, before.findings)
    claimed = {_key(f) for f in before.findings if CLAIM in f.hint}
    if claimed and not before.placement.unconstrained:
        assert not claimed & {_key(f) for f in after.findings}, after.findings
    if not before.findings:
        assert fixed == obj


def test_conflicting_requirements_write_no_placement() -> None:
    # An amd64-only image with a Longhorn volume; the only amd64 node runs no storage agent.
    nodes = [PALETTE["worker-nostorage"], PALETTE["arm"]]
    obj = _workload_obj("img:amd64", longhorn=True)
    _, verdict = _check(obj, nodes)
    # As written the pod fits both nodes (the scheduler does not look at images).
    assert verdict.eligible_nodes == ("worker-nostorage", "arm")
    assert verdict.placement.unconstrained
    ids = sorted(f.id for f in verdict.findings)
    assert ids == ["arch-mismatch", "placement-conflict", "storage-on-excluded-node"]
