"""The admission brain: one pure function from an AdmissionReview to its answer.

    review JSON ──> request (uid, kind, operation, object)
                    ├─ Pod CREATE ──> Workload ──> policy Engine (same as `check`) ──> Placement
                    │     unverified image? ──> fallback placement + annotation + warning
                    │     verified-taint mode ──> toleration for verified pods only
                    │     ──> placement_patch (same rewrite as `fix`) ──> applied to the object
                    │         here; a patch that does not apply becomes no patch + a warning
                    ├─ pods/ephemeralcontainers UPDATE ──> warnings for debug images that
                    │     cannot run on the pod's node (a running pod's affinity is immutable)
                    └─ workload CREATE/UPDATE (/validate) ──> allowed + warnings; a DaemonSet
                          arch gap is denied when the options say so

No I/O: the image platforms and the cluster view are passed in, so the server, the tests and
the benchmark all ask the same question. Every answer carries the request's `uid`; nothing here
raises for bad input (an unreadable object is allowed unchanged with a warning).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import jsonpatch

from archfit.errors import InvalidValue
from archfit.manifests.rewrite.placement import JsonPatchOp, placement_patch
from archfit.model.check import ImageUse, WorkloadVerdict
from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.model.k8s import POD_SPEC_PATHS, workload_from_k8s
from archfit.model.node import ARCH_LABEL, Node
from archfit.model.placement import Placement
from archfit.model.selectors import NodeSelectorRequirement
from archfit.model.workload import SourceRef, Workload
from archfit.policy import Engine, ImagePlatforms, Settings
from archfit.policy.framework import image_architectures, user_architectures
from archfit.service.webhook.settings import (
    FALLBACK_ANNOTATION,
    VERIFIED_TAINT_KEY,
    VERIFIED_TAINT_VALUE,
    WebhookOptions,
)
from archfit.service.webhook.wire import ADMISSION_API_VERSION, AdmissionResponse, AdmissionReview

__all__ = [
    "Decision",
    "Outcome",
    "View",
    "decide",
    "images_in",
    "make_engine",
    "review_uid",
]

Outcome = Literal[
    "patched",
    "unchanged",
    "fallback",
    "ignored",
    "warned",
    "denied",
    "invalid",
    "patch-failed",
    "error",
]
VALIDATED_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}
)
_PREFIX = "archfit: "


@dataclass(frozen=True, slots=True)
class View:
    """What one decision is made against: the policy and the nodes the watch last saw."""

    settings: Settings
    nodes: tuple[Node, ...] = ()
    options: WebhookOptions = field(default_factory=WebhookOptions)


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer and what it was, for metrics and the log (never object contents)."""

    review: AdmissionReview
    outcome: Outcome
    patch: tuple[JsonPatchOp, ...] = ()
    subject: str = ""


class _Known:
    """The platforms the server looked up for this request; the rest are unresolved."""

    def __init__(self, images: Mapping[ImageRef, ImageInfo]) -> None:
        self._images = images

    def lookup(self, ref: ImageRef) -> ImageInfo:
        return self._images.get(ref) or ImageInfo.unresolved(ref, "not resolved in time")


def _request(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, Mapping):
        return None
    request = body.get("request")
    return dict(request) if isinstance(request, Mapping) else None


def review_uid(body: Any) -> str:
    """The request's uid, or "" when the body has none (the answer still carries the field)."""
    request = _request(body)
    uid = request.get("uid") if request is not None else None
    return uid if isinstance(uid, str) else ""


def _answer(uid: str, response: AdmissionResponse) -> AdmissionReview:
    response["uid"] = uid
    return {"apiVersion": ADMISSION_API_VERSION, "kind": "AdmissionReview", "response": response}


def _kind(request: Mapping[str, Any]) -> str:
    kind = request.get("kind")
    value = kind.get("kind") if isinstance(kind, Mapping) else None
    return value if isinstance(value, str) else ""


def _object(request: Mapping[str, Any], key: str = "object") -> dict[str, Any] | None:
    obj = request.get(key)
    return obj if isinstance(obj, dict) else None


def images_in(body: Any) -> tuple[ImageRef, ...]:
    """Every image the request's object runs (init, sidecar, app and ephemeral containers),
    each once, in order; references that do not parse are left to the policy to report."""
    request = _request(body)
    obj = _object(request) if request is not None else None
    kind = _kind(request) if request is not None else ""
    if obj is None or kind not in POD_SPEC_PATHS:
        return ()
    spec: Any = obj
    for key in POD_SPEC_PATHS[kind]:
        spec = spec.get(key) if isinstance(spec, Mapping) else None
    if not isinstance(spec, Mapping):
        return ()
    refs: dict[ImageRef, None] = {}
    for key in ("initContainers", "containers", "ephemeralContainers"):
        containers = spec.get(key)
        if not isinstance(containers, list):
            continue
        for container in containers:
            image = container.get("image") if isinstance(container, Mapping) else None
            if isinstance(image, str) and image:
                try:
                    refs[ImageRef.parse(image)] = None
                except (InvalidValue, ValueError):
                    continue
    return tuple(refs)


def _short(text: str, options: WebhookOptions) -> str:
    text = _PREFIX + text
    limit = options.max_warning_chars
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _warnings(lines: Sequence[str], options: WebhookOptions) -> list[str]:
    unique = list(dict.fromkeys(_short(line, options) for line in lines))
    if len(unique) > options.max_warnings:
        rest = len(unique) - options.max_warnings + 1
        unique = [*unique[: options.max_warnings - 1], f"{_PREFIX}and {rest} more"]
    return unique


def _requirement_text(req: NodeSelectorRequirement) -> str:
    values = f" [{', '.join(req.values)}]" if req.values else ""
    return f"{req.key} {req.operator}{values}"


def _constraint_text(placement: Placement) -> str:
    return " and ".join(_requirement_text(r) for r in placement.required)


def _finding_lines(verdict: WorkloadVerdict) -> list[str]:
    return [f.message for f in verdict.findings if f.severity in {"error", "warning"}]


def _workload(obj: dict[str, Any], request: Mapping[str, Any]) -> Workload:
    namespace = request.get("namespace")
    return workload_from_k8s(
        obj,
        SourceRef("admission", origin="AdmissionReview"),
        default_namespace=namespace if isinstance(namespace, str) and namespace else "default",
    )


def _evaluate(
    obj: dict[str, Any], request: Mapping[str, Any], engine: Engine, *, kind: str | None = None
) -> tuple[Workload, str, WorkloadVerdict]:
    """The admitted object as a workload, the subject its decision names, and the policy's
    verdict on it (the same engine `check` runs)."""
    workload = _workload(obj, request)
    subject = f"{kind or workload.kind}/{workload.namespace}/{workload.name}"
    return workload, subject, engine.evaluate(workload)


def _unverified(images: Sequence[ImageUse]) -> list[ImageUse]:
    """Images that run in the pod's own containers and whose platforms nobody verified."""
    return [
        u
        for u in images
        if u.kind != "ephemeral" and (u.info is None or u.info.status != "resolved")
    ]


def decide(
    body: Any,
    view: View,
    images: Mapping[ImageRef, ImageInfo],
    *,
    engine: Engine | None = None,
) -> Decision:
    """Answer one AdmissionReview. Never raises for what the body contains.

    `engine` may be a policy engine for `view` whose image answers agree with `images` (the
    server keeps one while neither changes: it caches per node class); by default one is made.
    """
    uid = review_uid(body)
    request = _request(body)
    if request is None or not uid:
        return Decision(
            _answer(uid, {"allowed": True, "warnings": [_PREFIX + "no request uid; ignored"]}),
            "invalid",
        )
    kind = _kind(request)
    operation = request.get("operation")
    operation = operation if isinstance(operation, str) else ""
    sub = request.get("subResource")
    sub = sub if isinstance(sub, str) else ""
    obj = _object(request)
    if obj is None:
        return Decision(_answer(uid, {"allowed": True}), "unchanged")
    try:
        engine = engine or make_engine(view, images)
        if kind == "Pod" and operation == "CREATE" and not sub:
            return _mutate_pod(uid, request, obj, view, engine)
        if kind == "Pod" and operation == "UPDATE" and sub == "ephemeralcontainers":
            return _ephemeral(uid, request, obj, view, engine)
        if kind in VALIDATED_KINDS and operation in {"CREATE", "UPDATE"}:
            return _validate(uid, request, obj, view, engine)
    except InvalidValue as err:
        where = f" at {err.where}" if getattr(err, "where", None) else ""
        warning = _short(
            f"cannot read the {kind or 'object'}{where}: {err}; left unchanged", view.options
        )
        return Decision(_answer(uid, {"allowed": True, "warnings": [warning]}), "invalid")
    return Decision(_answer(uid, {"allowed": True}), "unchanged")


def make_engine(view: View, images: Mapping[ImageRef, ImageInfo] | ImagePlatforms) -> Engine:
    """The policy engine `check` uses, over `view`'s nodes and policy."""
    source: ImagePlatforms = _Known(images) if isinstance(images, Mapping) else images
    return Engine(view.settings, source, view.nodes, inventory=bool(view.nodes))


def _cluster_architectures(view: View) -> frozenset[str]:
    if view.nodes:
        return frozenset(n.arch for n in view.nodes)
    return frozenset(view.settings.nodes.architectures)


def _fallback(
    verdict: WorkloadVerdict, view: View, unverified: list[ImageUse]
) -> tuple[Placement, list[str]]:
    """The placement for a pod with unverified images: the policy's non-arch requirements,
    plus the fallback architectures (never an architecture nobody verified)."""
    options = view.options
    names = ", ".join(u.image for u in unverified)
    user = user_architectures(
        verdict.workload, _cluster_architectures(view) | set(options.fallback_architectures)
    )
    if user is not None:
        # The user chose the architecture; archfit says what it could not check, no more.
        return (
            Placement(user, tuple(r for r in verdict.placement.required if r.key != ARCH_LABEL)),
            [f"{names}: platforms not verified; the pod keeps its own architecture choice"],
        )
    fallback = NodeSelectorRequirement(
        ARCH_LABEL, "In", tuple(sorted(options.fallback_architectures))
    )
    required = (fallback, *(r for r in verdict.placement.required if r.key != ARCH_LABEL))
    placement = Placement(
        frozenset(options.fallback_architectures), required, verdict.placement.preferred
    )
    return placement, [
        f"{names}: platforms not verified in time; pods are kept on "
        f"{', '.join(fallback.values)} nodes (fallback placement)"
    ]


def _respect_user(verdict: WorkloadVerdict, view: View) -> Placement:
    """The policy's placement without an arch requirement when the pod chose its architecture
    itself: the choice stands as written (a contradiction with the images is a warning)."""
    placement = verdict.placement
    if user_architectures(verdict.workload, _cluster_architectures(view)) is None:
        return placement
    required = tuple(r for r in placement.required if r.key != ARCH_LABEL)
    return Placement(placement.allowed_architectures, required, placement.preferred)


def _placement_and_lines(
    verdict: WorkloadVerdict, view: View, unverified: list[ImageUse]
) -> tuple[Placement, list[str]]:
    """The placement to apply and the warning lines: the policy's, or, when `unverified` names
    images, the fallback placement, whose lines replace the "platforms are unknown" findings."""
    lines = _finding_lines(verdict)
    if not unverified:
        return _respect_user(verdict, view), lines
    placement, more = _fallback(verdict, view, unverified)
    return placement, [line for line in lines if "platforms are unknown" not in line] + more


def _has_toleration(obj: Mapping[str, Any]) -> bool:
    spec = obj.get("spec")
    tolerations = spec.get("tolerations") if isinstance(spec, Mapping) else None
    if not isinstance(tolerations, list):
        return False
    return any(
        isinstance(t, Mapping)
        and t.get("key") == VERIFIED_TAINT_KEY
        and (t.get("operator") == "Exists" or t.get("value") == VERIFIED_TAINT_VALUE)
        for t in tolerations
    )


def _extra_ops(obj: dict[str, Any], *, annotation: str | None, tolerate: bool) -> list[JsonPatchOp]:
    ops: list[JsonPatchOp] = []
    meta = obj.get("metadata")
    if annotation is not None and isinstance(meta, Mapping):
        annotations = meta.get("annotations")
        if not isinstance(annotations, Mapping):
            ops.append(
                {
                    "op": "add",
                    "path": "/metadata/annotations",
                    "value": {FALLBACK_ANNOTATION: annotation},
                }
            )
        elif annotations.get(FALLBACK_ANNOTATION) != annotation:
            ops.append(
                {
                    "op": "add",
                    "path": "/metadata/annotations/archfit.dev~1fallback",
                    "value": annotation,
                }
            )
    if tolerate and not _has_toleration(obj):
        toleration = {
            "key": VERIFIED_TAINT_KEY,
            "operator": "Equal",
            "value": VERIFIED_TAINT_VALUE,
            "effect": "NoSchedule",
        }
        spec = obj.get("spec")
        if isinstance(spec, Mapping) and isinstance(spec.get("tolerations"), list):
            ops.append({"op": "add", "path": "/spec/tolerations/-", "value": toleration})
        else:
            ops.append({"op": "add", "path": "/spec/tolerations", "value": [toleration]})
    return ops


# The parts of a pod the patch may touch. A JSON Patch operation depends only on its path's
# ancestors, so writing and checking the patch against these subtrees gives the same operations
# and the same verdict as the whole pod, without copying managedFields and the containers on
# every admission.
_TOUCHED = ("/spec/affinity", "/spec/tolerations", "/metadata/annotations")


def _touched(obj: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pointer in _TOUCHED:
        parent, key = pointer.strip("/").split("/")
        source = obj.get(parent)
        if not isinstance(source, Mapping):
            if parent in obj:
                out[parent] = source  # not an object: the patch must fail as it would on obj
            continue
        target = out.setdefault(parent, {})
        if key in source:
            target[key] = source[key]
    return out


def _within(ops: Sequence[JsonPatchOp]) -> bool:
    return all(
        op["path"] in _TOUCHED or op["path"].startswith(tuple(p + "/" for p in _TOUCHED))
        for op in ops
    )


def _mutate_pod(
    uid: str,
    request: Mapping[str, Any],
    obj: dict[str, Any],
    view: View,
    engine: Engine,
) -> Decision:
    _, subject, verdict = _evaluate(obj, request, engine, kind="Pod")
    if verdict.ignored:
        return Decision(_answer(uid, {"allowed": True}), "ignored", subject=subject)
    unverified = _unverified(verdict.images)
    placement, lines = _placement_and_lines(verdict, view, unverified)
    annotation: str | None = None
    if unverified:
        annotation = "unverified images: " + ", ".join(u.image for u in unverified)
    arch_ok = not unverified and (
        placement.allowed_architectures is None or "arm64" in placement.allowed_architectures
    )
    ops = (
        placement_patch(_touched(obj), ("spec",), placement) if not placement.unconstrained else []
    )
    ops += _extra_ops(obj, annotation=annotation, tolerate=view.options.verified_taint and arch_ok)
    if ops and placement.required:
        lines.insert(0, "pods are constrained to " + _constraint_text(placement))
    try:
        jsonpatch.JsonPatch(ops).apply(_touched(obj) if _within(ops) else obj, in_place=False)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as err:
        lines.append(f"placement patch not applied ({type(err).__name__}); the pod is unchanged")
        response: AdmissionResponse = {"allowed": True, "warnings": _warnings(lines, view.options)}
        return Decision(_answer(uid, response), "patch-failed", subject=subject)
    response = {"allowed": True}
    if ops:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(
            json.dumps(ops, separators=(",", ":")).encode()
        ).decode()
    if (lines and ops) or unverified:
        response["warnings"] = _warnings(lines, view.options)
    outcome: Outcome = "fallback" if unverified and ops else "patched" if ops else "unchanged"
    return Decision(_answer(uid, response), outcome, tuple(ops), subject)


def _ephemeral(
    uid: str,
    request: Mapping[str, Any],
    obj: dict[str, Any],
    view: View,
    engine: Engine,
) -> Decision:
    """A `kubectl debug` container joins a pod already on a node: warn when its image cannot run
    there (the pod's affinity can no longer change, so there is nothing to patch)."""
    workload = _workload(obj, request)
    subject = f"Pod/{workload.namespace}/{workload.name}"
    spec = obj.get("spec")
    node_name = spec.get("nodeName") if isinstance(spec, Mapping) else None
    node = next((n for n in view.nodes if n.name == node_name), None)
    old = _object(request, "oldObject") or {}
    old_spec = old.get("spec")
    old_list = old_spec.get("ephemeralContainers") if isinstance(old_spec, Mapping) else None
    before = {
        c.get("name")
        for c in (old_list if isinstance(old_list, list) else [])
        if isinstance(c, Mapping)
    }
    lines: list[str] = []
    for container in workload.template.all_containers:
        if container.kind != "ephemeral" or container.name in before or container.image_ref is None:
            continue
        info = engine.image_info(container.image_ref)
        if info.status != "resolved":
            lines.append(f"debug image {container.image}: platforms not verified")
        elif node is not None and node.arch not in image_architectures(info):
            lines.append(
                f"debug image {container.image} ships only "
                f"{', '.join(info.architectures) or 'no linux platform'}; it cannot run on "
                f"node {node.name} ({node.arch})"
            )
    response: AdmissionResponse = {"allowed": True}
    if lines:
        response["warnings"] = _warnings(lines, view.options)
    return Decision(_answer(uid, response), "warned" if lines else "unchanged", subject=subject)


def _validate(
    uid: str,
    request: Mapping[str, Any],
    obj: dict[str, Any],
    view: View,
    engine: Engine,
) -> Decision:
    workload, subject, verdict = _evaluate(obj, request, engine)
    if verdict.ignored:
        return Decision(_answer(uid, {"allowed": True}), "ignored", subject=subject)
    # A workload that chose its own architecture is judged as written, unverified or not.
    chose = user_architectures(workload, _cluster_architectures(view)) is not None
    placement, lines = _placement_and_lines(
        verdict, view, [] if chose else _unverified(verdict.images)
    )
    if placement.required:
        reasons = "; ".join(
            f"{u.info.ref.familiar} ships {', '.join(u.info.architectures)}"
            for u in verdict.images
            if u.info is not None and u.info.status == "resolved" and u.kind != "ephemeral"
        )
        lines.insert(
            0,
            "its pods will be constrained to "
            + _constraint_text(placement)
            + (f" ({reasons})" if reasons else ""),
        )
    gap = [f for f in verdict.findings if f.id == "daemonset-not-multiarch"]
    response: AdmissionResponse = {"allowed": True}
    outcome: Outcome = "warned" if lines else "unchanged"
    if gap and view.options.deny_daemonset_arch_gaps:
        response = {
            "allowed": False,
            "status": {
                "code": 403,
                "reason": "Forbidden",
                "message": _short(gap[0].message, view.options),
            },
        }
        outcome = "denied"
    if lines:
        response["warnings"] = _warnings(lines, view.options)
    return Decision(_answer(uid, response), outcome, subject=subject)
