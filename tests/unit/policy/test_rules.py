"""Each rule as a table: a workload built in one line, the findings and requirements expected."""

from __future__ import annotations

import pytest

from archfit.model.selectors import NodeSelectorRequirement as Req
from archfit.model.workload import PersistentVolumeClaim, StorageClass

from .builders import INTEL_LABEL, NVIDIA_LABEL, WorkloadBuilder, evaluate, node, workload

MULTI = {"img:1": "amd64 arm64"}
AMD64 = {"img:1": "amd64"}
ARCH_AMD64 = Req("kubernetes.io/arch", "In", ("amd64",))
NOT_PI = Req("node.kubernetes.io/instance-type", "NotIn", ("raspberry-pi",))
NOT_STORAGE_NONE = Req("kubernetes.io/storage", "NotIn", ("none",))


def ids(wl: WorkloadBuilder, **kwargs: object) -> list[str]:
    return sorted(f.id for f in evaluate(wl.build(), **kwargs).findings)  # type: ignore[arg-type]


# --- arch ------------------------------------------------------------------------------------

ARCH_CASES = [
    ("multi-arch image: nothing to say", workload().image("img:1"), MULTI, []),
    ("amd64-only image reaches the Pis", workload().image("img:1"), AMD64, ["arch-mismatch"]),
    (
        "amd64-only image already pinned to amd64",
        workload().image("img:1").node_selector(**{"kubernetes.io/arch": "amd64"}),
        AMD64,
        [],
    ),
    (
        "init container lacks arm64",
        workload().image("img:1").image("init:1", kind="init"),
        {"img:1": "amd64 arm64", "init:1": "amd64"},
        ["arch-mismatch"],
    ),
    (
        "a GPU request keeps the amd64-only image off the Pis",
        workload().image("img:1").gpu("nvidia.com/gpu"),
        AMD64,
        [],
    ),
    (
        "images with no common architecture",
        workload().image("img:1").image("arm:1"),
        {"img:1": "amd64", "arm:1": "arm64"},
        ["arch-mismatch"],
    ),
    (
        "ephemeral container only warns",
        workload().image("img:1").image("dbg:1", kind="ephemeral"),
        {"img:1": "amd64 arm64", "dbg:1": "amd64"},
        ["arch-mismatch"],
    ),
]


@pytest.mark.parametrize(
    ("title", "wl", "images", "expected"), ARCH_CASES, ids=[c[0] for c in ARCH_CASES]
)
def test_arch(title: str, wl: WorkloadBuilder, images: dict[str, str], expected: list[str]) -> None:
    assert ids(wl, images=images) == expected


def test_arch_requirement_and_eligibility() -> None:
    verdict = evaluate(workload().image("img:1").build(), images=AMD64)
    assert verdict.placement.required == (ARCH_AMD64,)
    assert verdict.allowed_architectures == frozenset({"amd64"})
    assert verdict.eligible_nodes == ("nv", "arc", "worker")
    assert verdict.rejections["cp"] == (
        "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
    )
    assert verdict.rejections["pi4"] == ("node(s) didn't match Pod's node affinity/selector",)


def test_ephemeral_mismatch_is_a_warning() -> None:
    wl = workload().image("img:1").image("dbg:1", kind="ephemeral").build()
    (finding,) = evaluate(wl, images={"img:1": "amd64 arm64", "dbg:1": "amd64"}).findings
    assert finding.severity == "warning"


def test_multi_arch_needs_no_requirement() -> None:
    verdict = evaluate(workload().image("img:1").build(), images=MULTI)
    assert verdict.placement.required == ()
    assert verdict.eligible_nodes == ("nv", "arc", "worker", "pi4", "pi5")


# --- daemonset -------------------------------------------------------------------------------

DS_CASES = [
    ("multi-arch DaemonSet", workload("ds", "DaemonSet").image("img:1"), MULTI, []),
    (
        "amd64-only DaemonSet selects the Pis",
        workload("ds", "DaemonSet").image("img:1"),
        AMD64,
        ["daemonset-not-multiarch"],
    ),
    (
        "amd64-only DaemonSet restricted to amd64",
        workload("ds", "DaemonSet").image("img:1").require("kubernetes.io/arch", "In", "amd64"),
        AMD64,
        [],
    ),
]


@pytest.mark.parametrize(
    ("title", "wl", "images", "expected"), DS_CASES, ids=[c[0] for c in DS_CASES]
)
def test_daemonset(
    title: str, wl: WorkloadBuilder, images: dict[str, str], expected: list[str]
) -> None:
    assert ids(wl, images=images) == expected


def test_daemonset_gets_the_controllers_tolerations_but_not_the_control_plane() -> None:
    nodes = [node("cordoned").cordoned().build(), node("cp").control_plane().build()]
    verdict = evaluate(
        workload("ds", "DaemonSet").image("img:1").build(), images=MULTI, nodes=nodes
    )
    assert verdict.eligible_nodes == ("cordoned",)


def test_daemonset_pods_too_big_for_some_nodes_stay_pending() -> None:
    wl = workload("ds", "DaemonSet").image("img:1").requests(cpu="3200m").build()
    verdict = evaluate(wl, images=MULTI)
    (finding,) = [f for f in verdict.findings if f.id == "unschedulable"]
    assert finding.details["scheduler_message"] == (
        "0/6 nodes are available: 1 Insufficient cpu, "
        "5 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    )
    assert set(finding.details["nodes"]) == {"pi4"}


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
    assert ids(wl, images=MULTI) == expected


def test_gpu_requires_the_vendor_label() -> None:
    verdict = evaluate(workload().image("img:1").host_path("/dev/dri").build(), images=MULTI)
    assert Req(INTEL_LABEL, "In", ("true",)) in verdict.placement.required
    assert verdict.eligible_nodes == ("arc",)


def test_gpu_vendor_annotation_overrides_the_device_path() -> None:
    wl = (
        workload().image("img:1").host_path("/dev/dri").annotate("archfit.dev/gpu-vendor", "nvidia")
    )
    verdict = evaluate(wl.build(), images=MULTI)
    assert Req(NVIDIA_LABEL, "In", ("true",)) in verdict.placement.required
    assert verdict.eligible_nodes == ("nv",)


def test_a_gpu_request_adds_nothing_to_the_placement() -> None:
    for wl in (
        workload().image("img:1").gpu("nvidia.com/gpu").runtime_class("nvidia"),
        workload().image("img:1").resource_claim("gpu").host_path("/dev/dri"),
    ):
        verdict = evaluate(wl.build(), images=MULTI)
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
        assert ids(workload("seed", kind).image("mongo:7"), images=images) == []
    assert ids(workload("db", "StatefulSet").image("mongo:7"), images=images) == [
        "too-large-for-pi"
    ]


def test_large_requests_count_in_a_job() -> None:
    wl = workload("train", "Job").image("img:1").requests(cpu="6", memory="8Gi")
    assert ids(wl, images=MULTI) == ["too-large-for-pi"]


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
    assert ids(wl, images=MULTI, claims=claims, classes=[LONGHORN, LOCAL]) == expected


def test_storage_requirement_excludes_the_pis() -> None:
    wl = workload("db", "StatefulSet").image("img:1").volume_claim_template("data", "longhorn")
    verdict = evaluate(wl.build(), images=MULTI)
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
    assert ids(wl, images=images) == expected


def test_too_big_for_every_node_is_unschedulable_with_the_scheduler_message() -> None:
    wl = workload().image("img:1").requests(cpu="10", memory="40Gi").build()
    verdict = evaluate(wl, images=MULTI)
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
        ("not light", workload().image("img:1"), MULTI, [], False),
    ],
)
def test_light(
    title: str, wl: WorkloadBuilder, images: dict[str, str], expected: list[str], preferred: bool
) -> None:
    verdict = evaluate(wl.build(), images=images)
    assert sorted(f.id for f in verdict.findings) == expected
    assert bool(verdict.placement.preferred) == preferred


# --- user choices ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "wl", "expected"),
    [
        (
            "arm64 chosen, amd64-only image",
            workload().image("img:1").node_selector(**{"kubernetes.io/arch": "arm64"}),
            ["arch-constraint-contradicts-images"],
        ),
        (
            "affinity chooses arm64",
            workload().image("img:1").require("kubernetes.io/arch", "In", "arm64"),
            ["arch-constraint-contradicts-images"],
        ),
        (
            "annotation chooses arm64",
            workload().image("img:1").annotate("archfit.dev/arch", "arm64"),
            ["arch-constraint-contradicts-images"],
        ),
        (
            "annotation is not a platform",
            workload().image("img:1").annotate("archfit.dev/arch", "arm64//"),
            ["arch-mismatch", "invalid-annotation"],
        ),
        (
            "deprecated label",
            workload().image("img:1").node_selector(**{"beta.kubernetes.io/arch": "amd64"}),
            ["deprecated-arch-label"],
        ),
    ],
)
def test_user_choice(title: str, wl: WorkloadBuilder, expected: list[str]) -> None:
    assert ids(wl, images=AMD64) == expected


def test_annotation_intersects_with_the_images() -> None:
    wl = workload().image("img:1").annotate("archfit.dev/arch", "amd64, arm/v7").build()
    verdict = evaluate(wl, images=MULTI)
    assert verdict.allowed_architectures == frozenset({"amd64"})
    assert verdict.placement.required == (ARCH_AMD64,)


def test_contradiction_leaves_no_eligible_node_without_a_second_error() -> None:
    wl = workload().image("img:1").node_selector(**{"kubernetes.io/arch": "arm64"}).build()
    verdict = evaluate(wl, images=AMD64)
    assert verdict.eligible_nodes == ()
    assert [f.id for f in verdict.findings] == ["arch-constraint-contradicts-images"]


# --- images ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "image", "expected"),
    [
        ("latest", "img:latest", ["floating-tag"]),
        ("no tag", "img", ["floating-tag"]),
        ("version", "img:1", []),
        ("digest pinned latest", "img:latest@sha256:" + "a" * 64, []),
    ],
)
def test_floating_tag(title: str, image: str, expected: list[str]) -> None:
    images = {image: "amd64 arm64"}
    assert ids(workload().image(image), images=images) == expected


def test_unresolved_image_leaves_architectures_to_the_others() -> None:
    wl = workload().image("img:1").image("unknown:2").build()
    verdict = evaluate(wl, images=AMD64)
    assert sorted(f.id for f in verdict.findings) == ["arch-mismatch", "unresolved-image"]
    assert verdict.allowed_architectures == frozenset({"amd64"})


def test_invalid_image_reference_is_an_error() -> None:
    verdict = evaluate(workload().image("Not A Ref").build(), images={})
    (finding,) = verdict.findings
    assert (finding.id, finding.severity) == ("unresolved-image", "error")


# --- without an inventory --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "wl", "images", "expected"),
    [
        (
            "amd64-only image, cluster of amd64 and arm64",
            workload().image("img:1"),
            AMD64,
            ["arch-mismatch"],
        ),
        (
            "amd64-only, pinned to amd64",
            workload().image("img:1").node_selector(**{"kubernetes.io/arch": "amd64"}),
            AMD64,
            [],
        ),
        (
            "amd64-only DaemonSet",
            workload("ds", "DaemonSet").image("img:1"),
            AMD64,
            ["daemonset-not-multiarch"],
        ),
        (
            "heavy image: no Pi known, nothing to say",
            workload().image("postgres:16"),
            {"postgres:16": "amd64 arm64"},
            [],
        ),
        (
            "heavy image kept off the Pis",
            workload()
            .image("postgres:16")
            .require("node.kubernetes.io/instance-type", "NotIn", "raspberry-pi"),
            {"postgres:16": "amd64 arm64"},
            [],
        ),
        (
            "light image: no Pi known, nothing to prefer",
            workload().image("pihole/pihole:2024.07.0"),
            {"pihole/pihole:2024.07.0": "amd64 arm64"},
            [],
        ),
    ],
)
def test_without_inventory(
    title: str, wl: WorkloadBuilder, images: dict[str, str], expected: list[str]
) -> None:
    verdict = evaluate(wl.build(), images=images, nodes=[])
    assert sorted(f.id for f in verdict.findings) == expected
    assert verdict.eligible_nodes is None


def test_without_inventory_the_configured_architectures_decide() -> None:
    from archfit.policy import parse_settings

    settings = parse_settings(
        {
            "apiVersion": "archfit.dev/v1alpha1",
            "kind": "Policy",
            "nodes": {"architectures": ["amd64"]},
        }
    )
    verdict = evaluate(workload().image("img:1").build(), images=AMD64, nodes=[], settings=settings)
    assert verdict.findings == ()
    assert verdict.placement.required == ()  # every architecture of the cluster is covered


def test_light_workload_with_unknown_images_is_not_sent_to_the_pis() -> None:
    verdict = evaluate(workload().image("eclipse-mosquitto:2").build(), images={})
    assert [f.id for f in verdict.findings] == ["unresolved-image"]
    assert verdict.placement.preferred == ()
