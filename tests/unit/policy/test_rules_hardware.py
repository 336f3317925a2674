"""The hardware rules as tables: GPUs and their vendor labels, workloads too large for the Pis or
for every node, storage that only some nodes reach, and light workloads preferred on the Pis. A
workload is built in one line next to the findings and requirements expected."""

from __future__ import annotations

import pytest

from archfit.model.selectors import NodeSelectorRequirement as Req
from archfit.model.workload import PersistentVolumeClaim, StorageClass

from .builders import (
    INTEL_LABEL,
    MULTI_ARCH,
    NVIDIA_LABEL,
    WorkloadBuilder,
    evaluate,
    finding_ids,
    node,
    workload,
)

NOT_STORAGE_NONE = Req("kubernetes.io/storage", "NotIn", ("none",))


# --- gpu -------------------------------------------------------------------------------------

GPU_CASES = [
    ("no GPU", workload().image("img:1"), []),
    ("GPU request confines the pod", workload().image("img:1").gpu("nvidia.com/gpu"), []),
    (
        "/dev/dri without a selector",
        workload().image("img:1").host_path("/dev/dri"),
        ["gpu-unconstrained"],
    ),
    (
        "/dev/dri with the Intel label",
        workload()
        .image("img:1")
        .host_path("/dev/dri/renderD128")
        .node_selector(**{INTEL_LABEL: "true"}),
        [],
    ),
    (
        "runtimeClassName nvidia",
        workload().image("img:1").runtime_class("nvidia"),
        ["gpu-unconstrained"],
    ),
    ("a resource claim confines the pod", workload().image("img:1").resource_claim("gpu"), []),
    (
        "NVIDIA_VISIBLE_DEVICES without a request",
        workload().image("img:1").env("NVIDIA_VISIBLE_DEVICES"),
        ["gpu-unconstrained"],
    ),
]


@pytest.mark.parametrize(("title", "wl", "expected"), GPU_CASES, ids=[c[0] for c in GPU_CASES])
def test_gpu(title: str, wl: WorkloadBuilder, expected: list[str]) -> None:
    assert finding_ids(wl, images=MULTI_ARCH) == expected


def test_gpu_requires_the_vendor_label() -> None:
    verdict = evaluate(workload().image("img:1").host_path("/dev/dri").build(), images=MULTI_ARCH)
    assert Req(INTEL_LABEL, "In", ("true",)) in verdict.placement.required
    assert verdict.eligible_nodes == ("arc",)


def test_gpu_vendor_annotation_overrides_the_device_path() -> None:
    wl = (
        workload().image("img:1").host_path("/dev/dri").annotate("archfit.dev/gpu-vendor", "nvidia")
    )
    verdict = evaluate(wl.build(), images=MULTI_ARCH)
    assert Req(NVIDIA_LABEL, "In", ("true",)) in verdict.placement.required
    assert verdict.eligible_nodes == ("nv",)


def test_a_gpu_request_adds_nothing_to_the_placement() -> None:
    for wl in (
        workload().image("img:1").gpu("nvidia.com/gpu").runtime_class("nvidia"),
        workload().image("img:1").resource_claim("gpu").host_path("/dev/dri"),
    ):
        verdict = evaluate(wl.build(), images=MULTI_ARCH)
        assert verdict.findings == ()
        assert verdict.placement.required == ()


def test_gpu_label_is_one_the_gpu_nodes_carry() -> None:
    nodes = [
        node("nv").gpu("nvidia.com/gpu", "nvidia.com/gpu.present").build(),
        node("nv2").label(NVIDIA_LABEL).label("nvidia.com/gpu.present").build(),
        node("worker").build(),
    ]
    verdict = evaluate(workload().image("img:1").runtime_class("nvidia").build(), nodes=nodes)
    assert verdict.placement.required == (Req("nvidia.com/gpu.present", "In", ("true",)),)
    assert verdict.eligible_nodes == ("nv", "nv2")


def test_gpu_vendor_only_nfd_label_is_recognised() -> None:
    nodes = [
        node("arc").label("feature.node.kubernetes.io/pci-0300_8086.present").build(),
        node("worker").build(),
    ]
    verdict = evaluate(workload().image("img:1").host_path("/dev/dri").build(), nodes=nodes)
    assert verdict.placement.required == (
        Req("feature.node.kubernetes.io/pci-0300_8086.present", "In", ("true",)),
    )


def test_gpu_without_a_label_on_the_inventory_writes_none_and_says_why() -> None:
    nodes = [node("nv").gpu("nvidia.com/gpu").build(), node("worker").build()]
    verdict = evaluate(workload().image("img:1").runtime_class("nvidia").build(), nodes=nodes)
    (finding,) = [f for f in verdict.findings if f.id == "gpu-unconstrained"]
    assert finding.hint.startswith("archfit writes no label: no node of the inventory carries")
    assert verdict.placement.required == ()
    assert verdict.eligible_nodes == ("nv", "worker")


def test_gpu_without_an_inventory_writes_no_label() -> None:
    verdict = evaluate(workload().image("img:1").host_path("/dev/dri").build(), nodes=[])
    (finding,) = [f for f in verdict.findings if f.id == "gpu-unconstrained"]
    assert finding.hint == (
        "archfit writes no label without an inventory that shows which label the GPU nodes "
        "carry: give --cluster, or name it in gpu.vendorLabels.intel"
    )
    assert verdict.placement.required == ()


# --- size ----------------------------------------------------------------------------------


def test_heavy_image_in_a_job_is_a_client() -> None:
    images = {"mongo:7": "amd64 arm64"}
    for kind in ("Job", "CronJob"):
        assert finding_ids(workload("seed", kind).image("mongo:7"), images=images) == []
    assert finding_ids(workload("db", "StatefulSet").image("mongo:7"), images=images) == [
        "too-large-for-pi"
    ]


def test_large_requests_count_in_a_job() -> None:
    wl = workload("train", "Job").image("img:1").requests(cpu="6", memory="8Gi")
    assert finding_ids(wl, images=MULTI_ARCH) == ["too-large-for-pi"]


def test_pi_rules_say_nothing_without_pis_in_the_inventory() -> None:
    nodes = [node("worker").build(), node("arm").arch("arm64").build()]
    for wl in (workload().image("postgres:16"), workload().image("pihole/pihole:2024.07.0")):
        verdict = evaluate(
            wl.build(),
            images={"postgres:16": "amd64 arm64", "pihole/pihole:2024.07.0": "amd64 arm64"},
            nodes=nodes,
        )
        assert verdict.findings == ()
        assert verdict.placement.unconstrained


# --- storage ---------------------------------------------------------------------------------

LONGHORN = StorageClass("longhorn", "driver.longhorn.io")
LOCAL = StorageClass("local-path", "rancher.io/local-path", is_default=True)


@pytest.mark.parametrize(
    ("title", "wl", "expected"),
    [
        (
            "volumeClaimTemplate on longhorn",
            workload("db", "StatefulSet").image("img:1").volume_claim_template("data", "longhorn"),
            ["storage-on-excluded-node"],
        ),
        (
            "PVC on longhorn",
            workload().image("img:1").claim("data-lh"),
            ["storage-on-excluded-node"],
        ),
        (
            "PVC without class gets the default (local-path)",
            workload().image("img:1").claim("data-default"),
            [],
        ),
        (
            "already kept off",
            workload()
            .image("img:1")
            .claim("data-lh")
            .require("kubernetes.io/storage", "NotIn", "none"),
            [],
        ),
    ],
)
def test_storage(title: str, wl: WorkloadBuilder, expected: list[str]) -> None:
    claims = [
        PersistentVolumeClaim("default", "data-lh", "longhorn"),
        PersistentVolumeClaim("default", "data-default", None),
    ]
    assert finding_ids(wl, images=MULTI_ARCH, claims=claims, classes=[LONGHORN, LOCAL]) == expected


def test_storage_requirement_excludes_the_pis() -> None:
    wl = workload("db", "StatefulSet").image("img:1").volume_claim_template("data", "longhorn")
    verdict = evaluate(wl.build(), images=MULTI_ARCH)
    assert verdict.placement.required == (NOT_STORAGE_NONE,)
    assert verdict.eligible_nodes == ("nv", "arc", "worker")


# --- size ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "wl", "expected"),
    [
        ("small service", workload().image("img:1").requests(cpu="100m", memory="128Mi"), []),
        ("heavy image", workload().image("postgres:16").requests(cpu="100m"), ["too-large-for-pi"]),
        (
            "more memory than the smallest Pi",
            workload().image("img:1").requests(memory="4Gi"),
            ["too-large-for-pi"],
        ),
        (
            "more cpu than a Pi",
            workload().image("img:1").requests(cpu="3500m"),
            ["too-large-for-pi"],
        ),
        (
            "heavy but already off the Pis",
            workload()
            .image("postgres:16")
            .require("node.kubernetes.io/instance-type", "NotIn", "raspberry-pi"),
            [],
        ),
        ("DaemonSets are exempt", workload("ds", "DaemonSet").image("postgres:16"), []),
    ],
)
def test_size(title: str, wl: WorkloadBuilder, expected: list[str]) -> None:
    images = {"img:1": "amd64 arm64", "postgres:16": "amd64 arm64"}
    assert finding_ids(wl, images=images) == expected


def test_too_big_for_every_node_is_unschedulable_with_the_scheduler_message() -> None:
    wl = workload().image("img:1").requests(cpu="10", memory="40Gi").build()
    verdict = evaluate(wl, images=MULTI_ARCH)
    assert verdict.eligible_nodes == ()
    (finding,) = [f for f in verdict.findings if f.id == "unschedulable"]
    assert finding.details["scheduler_message"] == (
        "0/6 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node "
        "affinity/selector, 3 Insufficient cpu, 3 Insufficient memory."
    )


# --- light workloads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "wl", "images", "expected", "preferred"),
    [
        (
            "mosquitto",
            workload().image("eclipse-mosquitto:2"),
            {"eclipse-mosquitto:2": "amd64 arm64"},
            ["light-workload-not-on-pi"],
            True,
        ),
        (
            "light but amd64-only",
            workload().image("eclipse-mosquitto:2"),
            {"eclipse-mosquitto:2": "amd64"},
            ["arch-mismatch"],
            False,
        ),
        (
            "light but on Longhorn",
            workload().image("eclipse-mosquitto:2").volume_claim_template("d", "longhorn"),
            {"eclipse-mosquitto:2": "amd64 arm64"},
            ["storage-on-excluded-node"],
            False,
        ),
        (
            "already prefers the Pis",
            workload()
            .image("caddy:2")
            .prefer(10, "node.kubernetes.io/instance-type", "In", "raspberry-pi"),
            {"caddy:2": "amd64 arm64"},
            [],
            True,
        ),
        ("not light", workload().image("img:1"), MULTI_ARCH, [], False),
    ],
)
def test_light(
    title: str, wl: WorkloadBuilder, images: dict[str, str], expected: list[str], preferred: bool
) -> None:
    verdict = evaluate(wl.build(), images=images)
    assert sorted(f.id for f in verdict.findings) == expected
    assert bool(verdict.placement.preferred) == preferred
