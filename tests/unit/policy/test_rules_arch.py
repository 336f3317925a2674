"""The architecture rules as tables: image platforms against the nodes' architectures, DaemonSets
that must run everywhere, the user's own choices, image references, and a cluster known only by
its configured architectures. A workload is built in one line next to the findings expected."""

from __future__ import annotations

import pytest

from archfit.model.selectors import NodeSelectorRequirement as Req

from .builders import MULTI_ARCH, WorkloadBuilder, evaluate, finding_ids, node, workload

AMD64 = {"img:1": "amd64"}
ARCH_AMD64 = Req("kubernetes.io/arch", "In", ("amd64",))


# --- arch ------------------------------------------------------------------------------------

ARCH_CASES = [
    ("multi-arch image: nothing to say", workload().image("img:1"), MULTI_ARCH, []),
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
    assert finding_ids(wl, images=images) == expected


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
    verdict = evaluate(workload().image("img:1").build(), images=MULTI_ARCH)
    assert verdict.placement.required == ()
    assert verdict.eligible_nodes == ("nv", "arc", "worker", "pi4", "pi5")


# --- daemonset -------------------------------------------------------------------------------

DS_CASES = [
    ("multi-arch DaemonSet", workload("ds", "DaemonSet").image("img:1"), MULTI_ARCH, []),
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
    assert finding_ids(wl, images=images) == expected


def test_daemonset_gets_the_controllers_tolerations_but_not_the_control_plane() -> None:
    nodes = [node("cordoned").cordoned().build(), node("cp").control_plane().build()]
    verdict = evaluate(
        workload("ds", "DaemonSet").image("img:1").build(), images=MULTI_ARCH, nodes=nodes
    )
    assert verdict.eligible_nodes == ("cordoned",)


def test_daemonset_pods_too_big_for_some_nodes_stay_pending() -> None:
    wl = workload("ds", "DaemonSet").image("img:1").requests(cpu="3200m").build()
    verdict = evaluate(wl, images=MULTI_ARCH)
    (finding,) = [f for f in verdict.findings if f.id == "unschedulable"]
    assert finding.details["scheduler_message"] == (
        "0/6 nodes are available: 1 Insufficient cpu, "
        "5 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    )
    assert set(finding.details["nodes"]) == {"pi4"}


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
    assert finding_ids(wl, images=AMD64) == expected


def test_annotation_intersects_with_the_images() -> None:
    wl = workload().image("img:1").annotate("archfit.dev/arch", "amd64, arm/v7").build()
    verdict = evaluate(wl, images=MULTI_ARCH)
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
    assert finding_ids(workload().image(image), images=images) == expected


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
