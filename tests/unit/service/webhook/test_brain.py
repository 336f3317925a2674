"""The admission brain against the AdmissionReviews a real kube-apiserver 1.32 sent."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import jsonpatch
import pytest

from archfit.model.node import Node
from archfit.model.platform import Platform
from archfit.policy import Settings
from archfit.service.webhook.brain import View, decide, images_in
from archfit.service.webhook.settings import WebhookOptions
from archfit.service.webhook.wire import AdmissionReview

from .conftest import PLATFORMS, infos, load

ARCH_AMD64 = {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
NA = "/spec/affinity/nodeAffinity"


def _patch(answer: AdmissionReview) -> list[dict[str, Any]]:
    response = answer["response"]
    if "patch" not in response:
        return []
    assert response["patchType"] == "JSONPatch"
    ops: list[dict[str, Any]] = json.loads(base64.b64decode(response["patch"]))
    return ops


def _view(nodes: tuple[Node, ...], **options: Any) -> View:
    return View(Settings(), nodes, WebhookOptions(**options))


def test_bare_pod_gets_required_amd64_affinity(
    requests_dir: Path, recorded_nodes: tuple[Node, ...]
) -> None:
    body = load(requests_dir, "0001")
    decision = decide(body, _view(recorded_nodes), infos(PLATFORMS))
    assert decision.review["response"]["uid"] == body["request"]["uid"]
    assert decision.review["response"]["allowed"] is True
    assert _patch(decision.review) == [
        {"op": "add", "path": "/spec/affinity", "value": {}},
        {"op": "add", "path": f"{NA}", "value": {}},
        {
            "op": "add",
            "path": f"{NA}/{REQUIRED}",
            "value": {"nodeSelectorTerms": [{"matchExpressions": [ARCH_AMD64]}]},
        },
    ]
    assert decision.outcome == "patched"
    assert any(
        "kubernetes.io/arch In [amd64]" in w for w in decision.review["response"]["warnings"]
    )


def test_arch_is_anded_into_every_term_never_ored(
    requests_dir: Path, recorded_nodes: tuple[Node, ...]
) -> None:
    body = load(requests_dir, "0002")
    ops = _patch(decide(body, _view(recorded_nodes), infos(PLATFORMS)).review)
    term = f"{NA}/{REQUIRED}/nodeSelectorTerms"
    # the app image is amd64-only; init and sidecar images ship both, so amd64 wins
    assert ops == [
        {"op": "add", "path": f"{term}/0/matchExpressions/-", "value": ARCH_AMD64},
        {"op": "add", "path": f"{term}/1/matchExpressions/-", "value": ARCH_AMD64},
    ]
    patched = jsonpatch.JsonPatch(ops).apply(body["request"]["object"])
    terms = patched["spec"]["affinity"]["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]
    assert terms == [
        {
            "matchExpressions": [
                {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["a"]},
                ARCH_AMD64,
            ]
        },
        {
            "matchExpressions": [
                {
                    "key": "node.kubernetes.io/instance-type",
                    "operator": "In",
                    "values": ["raspberry-pi"],
                },
                ARCH_AMD64,
            ]
        },
    ]
    # the user's preferred term and nodeSelector are untouched
    assert patched["spec"]["affinity"]["nodeAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"
    ] == [
        {
            "weight": 10,
            "preference": {
                "matchExpressions": [{"key": "disktype", "operator": "In", "values": ["nvme"]}]
            },
        }
    ]
    assert patched["spec"]["nodeSelector"] == {"disktype": "ssd"}


def test_sidecar_image_counts(requests_dir: Path, recorded_nodes: tuple[Node, ...]) -> None:
    body = load(requests_dir, "0002")
    table = {**PLATFORMS, "ghcr.io/example/app:1.0@sha256:" + "a" * 64: PLATFORMS["busybox:1.36"]}
    table["ghcr.io/example/proxy:2.0"] = PLATFORMS["nginx:1.27"]  # only the sidecar is amd64-only
    ops = _patch(decide(body, _view(recorded_nodes), infos(table)).review)
    assert [op["value"] for op in ops] == [ARCH_AMD64, ARCH_AMD64]


def test_user_arch_choice_is_respected(
    requests_dir: Path, recorded_nodes: tuple[Node, ...]
) -> None:
    body = load(requests_dir, "0003")  # nodeSelector kubernetes.io/arch: arm64
    table = {"nginx:1.27": PLATFORMS["busybox:1.36"]}
    decision = decide(body, _view(recorded_nodes), infos(table))
    assert _patch(decision.review) == []
    assert decision.review["response"]["allowed"] is True


def test_reinvocation_changes_nothing(requests_dir: Path, recorded_nodes: tuple[Node, ...]) -> None:
    for number in ("0001", "0002", "0023"):
        body = load(requests_dir, number)
        first = _patch(decide(body, _view(recorded_nodes), infos(PLATFORMS)).review)
        assert first
        again = copy.deepcopy(body)
        again["request"]["object"] = jsonpatch.JsonPatch(first).apply(body["request"]["object"])
        assert _patch(decide(again, _view(recorded_nodes), infos(PLATFORMS)).review) == []


def test_dry_run_gets_the_same_answer(requests_dir: Path, recorded_nodes: tuple[Node, ...]) -> None:
    body = load(requests_dir, "0004")
    assert body["request"]["dryRun"] is True
    wet = copy.deepcopy(body)
    wet["request"]["dryRun"] = False
    view = _view(recorded_nodes)
    table = {**PLATFORMS, "redis:7": PLATFORMS["nginx:1.27"]}
    assert _patch(decide(body, view, infos(table)).review) == _patch(
        decide(wet, view, infos(table)).review
    )
    assert body == load(requests_dir, "0004")  # the request itself is never modified


def test_daemonset_pod_pinned_with_match_fields(
    requests_dir: Path, recorded_nodes: tuple[Node, ...]
) -> None:
    body = load(requests_dir, "0023")
    ops = _patch(decide(body, _view(recorded_nodes), infos(PLATFORMS)).review)
    term = f"{NA}/{REQUIRED}/nodeSelectorTerms/0"
    assert ops == [
        {"op": "add", "path": f"{term}/matchExpressions", "value": []},
        {"op": "add", "path": f"{term}/matchExpressions/-", "value": ARCH_AMD64},
    ]
    patched = jsonpatch.JsonPatch(ops).apply(body["request"]["object"])
    (only,) = patched["spec"]["affinity"]["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]
    assert only["matchFields"] == [
        {"key": "metadata.name", "operator": "In", "values": ["wulfgar"]}
    ]


def test_unresolved_image_gets_fallback_annotation_and_warning(
    requests_dir: Path, recorded_nodes: tuple[Node, ...]
) -> None:
    body = load(requests_dir, "0043")
    decision = decide(body, _view(recorded_nodes, verified_taint=True), {})
    ops = _patch(decision.review)
    assert decision.outcome == "fallback"
    patched = jsonpatch.JsonPatch(ops).apply(body["request"]["object"])
    assert patched["spec"]["affinity"]["nodeAffinity"][REQUIRED] == {
        "nodeSelectorTerms": [{"matchExpressions": [ARCH_AMD64]}]
    }
    assert (
        patched["metadata"]["annotations"]["archfit.dev/fallback"]
        == "unverified images: ghcr.io/example/tool:1.0"
    )
    # an unverified pod never tolerates the Pis' taint
    assert not any(
        t.get("key") == "archfit.dev/verified" for t in patched["spec"].get("tolerations", [])
    )
    assert any("fallback placement" in w for w in decision.review["response"]["warnings"])


def test_fallback_architectures_are_configurable(
    requests_dir: Path, recorded_nodes: tuple[Node, ...]
) -> None:
    body = load(requests_dir, "0001")
    ops = _patch(decide(body, _view(recorded_nodes, fallback_architectures=("arm64",)), {}).review)
    assert ops[2]["value"] == {
        "nodeSelectorTerms": [
            {
                "matchExpressions": [
                    {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]}
                ]
            }
        ]
    }


def test_verified_pod_tolerates_the_pi_taint(
    requests_dir: Path, recorded_nodes: tuple[Node, ...]
) -> None:
    body = load(requests_dir, "0001")
    table = {"nginx:1.27": PLATFORMS["busybox:1.36"]}
    ops = _patch(decide(body, _view(recorded_nodes, verified_taint=True), infos(table)).review)
    assert ops == [
        {
            "op": "add",
            "path": "/spec/tolerations/-",
            "value": {
                "key": "archfit.dev/verified",
                "operator": "Equal",
                "value": "required",
                "effect": "NoSchedule",
            },
        }
    ]


def test_ignore_annotation_is_respected(
    requests_dir: Path, recorded_nodes: tuple[Node, ...]
) -> None:
    body = load(requests_dir, "0001")
    body["request"]["object"]["metadata"]["annotations"] = {"archfit.dev/ignore": "true"}
    decision = decide(body, _view(recorded_nodes), infos(PLATFORMS))
    assert decision.outcome == "ignored"
    assert "patch" not in decision.review["response"]


def test_ephemeral_debug_image_warns_for_the_pods_node(
    requests_dir: Path, recorded_nodes: tuple[Node, ...]
) -> None:
    body = load(requests_dir, "0040")  # busybox on node danilo (amd64)
    view = _view(tuple(n if n.name != "danilo" else _as_arm64(n) for n in recorded_nodes))
    decision = decide(body, view, infos({**PLATFORMS, "busybox:1.36": PLATFORMS["nginx:1.27"]}))
    response = decision.review["response"]
    assert "patch" not in response  # a running pod's affinity cannot change
    assert response["warnings"] == [
        "archfit: debug image busybox:1.36 ships only amd64; it cannot run on node danilo (arm64)"
    ]


def _as_arm64(node: Node) -> Node:
    import dataclasses

    labels = {**node.labels, "kubernetes.io/arch": "arm64"}
    return dataclasses.replace(node, labels=labels, platform=Platform("linux", "arm64"))


def test_validate_warns_with_the_constraint_and_why(
    requests_dir: Path, recorded_nodes: tuple[Node, ...]
) -> None:
    body = load(requests_dir, "0005")  # Deployment of nginx:1.27
    response = decide(body, _view(recorded_nodes), infos(PLATFORMS)).review["response"]
    assert response["allowed"] is True
    assert response["warnings"][0] == (
        "archfit: its pods will be constrained to kubernetes.io/arch In [amd64] "
        "(nginx:1.27 ships amd64)"
    )


@pytest.mark.parametrize("deny", [False, True])
def test_daemonset_arch_gap_names_nodes_and_may_deny(
    requests_dir: Path, recorded_nodes: tuple[Node, ...], deny: bool
) -> None:
    body = load(requests_dir, "0022")  # node-exporter, amd64-only here
    response = decide(
        body, _view(recorded_nodes, deny_daemonset_arch_gaps=deny), infos(PLATFORMS)
    ).review["response"]
    assert response["uid"] == body["request"]["uid"]
    assert response["allowed"] is (not deny)
    text = " ".join(response["warnings"])
    # the nodes where its pods would crash are named
    assert "arm64 nodes durnan, elaith, jarlaxle, mirt and volo" in text
    assert "can never run" in text
    if deny:
        assert response["status"]["code"] == 403


def test_every_recorded_request_gets_its_uid(
    requests_dir: Path, recorded_nodes: tuple[Node, ...]
) -> None:
    for path in sorted(requests_dir.glob("*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        answer = decide(body, _view(recorded_nodes), infos(PLATFORMS)).review
        assert answer["apiVersion"] == "admission.k8s.io/v1"
        assert answer["kind"] == "AdmissionReview"
        assert answer["response"]["uid"] == body["request"]["uid"], path.name
        ops = _patch(answer)
        jsonpatch.JsonPatch(ops).apply(body["request"]["object"])  # every patch applies


def test_images_in_counts_init_sidecar_and_app(requests_dir: Path) -> None:
    assert [str(r) for r in images_in(load(requests_dir, "0002"))] == [
        "docker.io/library/busybox:1.36",
        "ghcr.io/example/proxy:2.0",
        "ghcr.io/example/app:1.0@sha256:" + "a" * 64,
        "localhost:5000/metrics:latest",
    ]


@pytest.mark.parametrize(
    "body", [None, [], {}, {"request": None}, {"request": {"uid": 3}}, {"request": {"uid": "u"}}]
)
def test_malformed_bodies_are_answered(body: Any, recorded_nodes: tuple[Node, ...]) -> None:
    answer = decide(body, _view(recorded_nodes), {}).review
    assert answer["response"]["allowed"] is True
    assert "uid" in answer["response"]


def test_fields_of_the_wrong_type_are_answered(
    requests_dir: Path, recorded_nodes: tuple[Node, ...]
) -> None:
    # found by the 10,000-case fuzz: an operation that is a list
    body = load(requests_dir, "0005")
    body["request"]["operation"] = []
    body["request"]["subResource"] = {}
    response = decide(body, _view(recorded_nodes), infos(PLATFORMS)).review["response"]
    assert response == {"uid": body["request"]["uid"], "allowed": True}
