"""Workloads of the bjw-s `app-template` chart, derived from its values without rendering.

The chart turns each entry of `controllers` into a Deployment, StatefulSet, DaemonSet, CronJob or
Job (by `type`, default `deployment`), its `containers`/`initContainers` into containers (image from
`image.repository`/`tag`/`digest`), `defaultPodOptions` and the controller's `pod` into pod fields,
and `persistence` into volumes (and claims it creates). Two layouts exist:

- current (chart 2.x–4.x): `controllers.<id>.containers.<id>.image`, `defaultPodOptions`,
  `controllers.<id>.pod`, `persistence.<id>.globalMounts`/`advancedMounts`;
- old (chart 1.x): a single controller under `controller`, the main container's `image` at the top
  level, `initContainers`/`sidecars`/`additionalContainers`, pod options (`nodeSelector`,
  `affinity`, `tolerations`, …) at the top level, and persistence items enabled one by one.

The result is Kubernetes-shaped objects that `archfit.model.k8s` converts like any manifest, each
with the values path a person edits (`controllers.plex.pod`, `defaultPodOptions`, or the top level).
Names follow the chart version in use. The base is the release name (or `fullnameOverride`, or
`<release>-<global.nameOverride>`; app-template overrides the top-level `nameOverride` itself).
From 3.x: `<prefix>-`, base, `-<controller>` when several controllers are enabled (or
`global.alwaysAppendIdentifierToResourceName`), `-<suffix>`, each part skipped when the name already
ends with it, lower-cased; or `forceRename`.
In 2.x (the common library's `controller.valuesToObject`): the `main` controller is named after
the release and every other one `<release>-<controller>`, or `<release>-<nameOverride>` when the
controller sets `nameOverride`. An unknown version is read as the current one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from archfit.manifests.helm.images import image_string
from archfit.manifests.helm.values import merge_maps

__all__ = [
    "APP_TEMPLATE_CHARTS",
    "POD_OPTION_KEYS",
    "Derivation",
    "DerivedClaim",
    "DerivedController",
    "chart_major",
    "derive",
    "is_app_template",
    "layout_of",
]

Layout = Literal["current", "old"]

APP_TEMPLATE_CHARTS = frozenset({"app-template"})

# Pod options the chart copies into the pod spec (the ones placement and images depend on, and
# the ones the simulator reads).
POD_OPTION_KEYS = (
    "affinity",
    "nodeSelector",
    "tolerations",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "runtimeClassName",
    "priorityClassName",
    "schedulerName",
    "topologySpreadConstraints",
    "resourceClaims",
    "schedulingGates",
    "restartPolicy",
    "resources",
)

_KINDS = {
    "deployment": "Deployment",
    "statefulset": "StatefulSet",
    "daemonset": "DaemonSet",
    "cronjob": "CronJob",
    "job": "Job",
}

_RELEASE_TEMPLATE = re.compile(r"\{\{-?\s*\.Release\.(Name|Namespace)\s*-?\}\}")


def is_app_template(chart: str) -> bool:
    """True for the `app-template` chart, named by chart name or by an OCI/URL path ending."""
    name = chart.rstrip("/").rsplit("/", 1)[-1]
    return name in APP_TEMPLATE_CHARTS


def layout_of(values: Mapping[str, Any]) -> Layout:
    """`current` when values use `controllers`; `old` for top-level `image`/`controller`."""
    if isinstance(values.get("controllers"), Mapping):
        return "current"
    if "image" in values or "controller" in values:
        return "old"
    return "current"


@dataclass(frozen=True, slots=True)
class DerivedController:
    """One controller the chart would create.

    `values_path` is the controller's entry (`controllers.plex`, or `controller` in the old
    layout); `pod_path` is where its own pod options live (`controllers.plex.pod`, or the top
    level `""` in the old layout), `identifier` the controller key (`main` in the old layout).
    """

    identifier: str
    manifest: dict[str, Any]
    values_path: str
    pod_path: str
    layout: Layout
    # The controller's own `pod.affinity` is set in the assembled values (wherever it came from:
    # inline values or a `valuesFrom` file), so it, not `defaultPodOptions`, decides its affinity.
    own_affinity: bool = False


@dataclass(frozen=True, slots=True)
class DerivedClaim:
    """A PersistentVolumeClaim the chart would create, as a Kubernetes-shaped object."""

    manifest: dict[str, Any]
    values_path: str


@dataclass(frozen=True, slots=True)
class Derivation:
    controllers: tuple[DerivedController, ...] = ()
    claims: tuple[DerivedClaim, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def _enabled(item: Any, default: bool = True) -> bool:
    if not isinstance(item, Mapping):
        return False
    value = item.get("enabled", default)
    return value not in (False, "false")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _expand(text: Any, release: str, namespace: str) -> Any:
    if not isinstance(text, str):
        return text
    return _RELEASE_TEMPLATE.sub(
        lambda m: release if m.group(1) == "Name" else namespace, text
    ).strip()


def _fullname(values: Mapping[str, Any], release: str) -> str:
    """The chart's `fullname`: app-template sets `global.nameOverride` to the release name unless
    one is given, so the top-level `nameOverride` of the common library never applies to it."""
    global_ = _map(values.get("global"))
    override = global_.get("fullnameOverride") or values.get("fullnameOverride")
    if override:
        name = str(override)
    else:
        short = str(global_.get("nameOverride") or release)
        name = release if short in release else f"{release}-{short}"
    return name[:63].rstrip("-")


def _resource_name(
    base: str,
    identifier: str,
    item: Mapping[str, Any],
    *,
    many: bool,
    always: bool,
    r: str,
    ns: str,
) -> str:
    """`determineResourceNameFromValues` of the common library (3.x and later): `forceRename`, or
    `<prefix>-` + fullname + `-<identifier>` (several items, or always) + `-<suffix>`, each part
    skipped when the name already ends with it; the result is lower-cased."""
    if item.get("forceRename"):
        return str(_expand(item["forceRename"], r, ns)).lower()
    name = base
    prefix = str(_expand(item.get("prefix") or "", r, ns))
    if prefix and prefix != name:
        name = f"{prefix}-{name}"
    if (many or always) and identifier != name and not name.endswith(f"-{identifier}"):
        name = f"{name}-{identifier}"
    suffix = str(_expand(item.get("suffix") or "", r, ns))
    if suffix and not name.endswith(f"-{suffix}"):
        name = f"{name}-{suffix}"
    return name.lower()


def _container(cid: str, spec: Mapping[str, Any], release: str, namespace: str) -> dict[str, Any]:
    raw_image = spec.get("image")
    if isinstance(raw_image, Mapping):
        image, _ = image_string({k: _expand(v, release, namespace) for k, v in raw_image.items()})
    else:
        image = str(_expand(raw_image, release, namespace) or "")
    out: dict[str, Any] = {"name": str(spec.get("name") or cid), "image": image}
    if isinstance(spec.get("resources"), Mapping):
        out["resources"] = dict(spec["resources"])
    if isinstance(spec.get("ports"), list):
        out["ports"] = [p for p in spec["ports"] if isinstance(p, Mapping)]
    if spec.get("restartPolicy") is not None:
        out["restartPolicy"] = spec["restartPolicy"]
    return out


def _containers(group: Any, release: str, namespace: str) -> list[dict[str, Any]]:
    out = []
    for cid, spec in _map(group).items():
        if _enabled(spec):
            out.append(_container(str(cid), spec, release, namespace))
    return out


def _volume(
    key: str, item: Mapping[str, Any], claim_name: str, release: str, namespace: str
) -> dict[str, Any]:
    kind = str(item.get("type") or "persistentVolumeClaim")
    name = str(key)
    if item.get("existingClaim") and kind in {"persistentVolumeClaim", "pvc"}:
        claim = str(_expand(item["existingClaim"], release, namespace))
        return {"name": name, "persistentVolumeClaim": {"claimName": claim}}
    match kind:
        case "persistentVolumeClaim" | "pvc":
            return {"name": name, "persistentVolumeClaim": {"claimName": claim_name}}
        case "emptyDir":
            return {"name": name, "emptyDir": {}}
        case "nfs":
            return {"name": name, "nfs": {"server": item.get("server"), "path": item.get("path")}}
        case "hostPath":
            return {"name": name, "hostPath": {"path": item.get("hostPath") or item.get("path")}}
        case "configMap" | "secret":
            ref = str(
                _expand(item.get("name") or item.get("identifier") or key, release, namespace)
            )
            field_name = "name" if kind == "configMap" else "secretName"
            return {"name": name, kind: {field_name: ref}}
        case "image":
            return {"name": name, "image": {"reference": item.get("image")}}
        case "custom":
            spec = _map(item.get("volumeSpec"))
            return {"name": name, **{k: v for k, v in spec.items() if k != "name"}}
    return {"name": name, "emptyDir": {}}


def _claim(
    name: str, item: Mapping[str, Any], namespace: str, labels: Mapping[str, str]
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": [str(item.get("accessMode") or "ReadWriteOnce")],
        "resources": {"requests": {"storage": str(item.get("size") or "1Gi")}},
    }
    storage_class = item.get("storageClass")
    if storage_class is not None:
        spec["storageClassName"] = "" if storage_class == "-" else str(storage_class)
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": spec,
    }


def _mounted_in(item: Mapping[str, Any], controller: str) -> bool:
    advanced = item.get("advancedMounts")
    if not isinstance(advanced, Mapping) or not advanced:
        return True
    return "globalMounts" in item or controller in advanced


def _pod_options(
    defaults: Mapping[str, Any], own: Mapping[str, Any], strategy: str
) -> dict[str, Any]:
    if strategy == "merge":
        return merge_maps(defaults, own)
    return {**defaults, **own}


def _pod_spec(options: Mapping[str, Any]) -> dict[str, Any]:
    return {key: options[key] for key in POD_OPTION_KEYS if options.get(key) is not None}


def _template_metadata(options: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"labels": {**_map(options.get("labels")), **labels}}
    if isinstance(options.get("annotations"), Mapping):
        meta["annotations"] = dict(options["annotations"])
    return meta


def _workload(
    kind: str,
    *,
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    pod: Mapping[str, Any],
    pod_meta: Mapping[str, Any],
    controller: Mapping[str, Any],
) -> dict[str, Any]:
    template = {"metadata": dict(pod_meta), "spec": dict(pod)}
    spec: dict[str, Any]
    if kind == "CronJob":
        cron = _map(controller.get("cronjob"))
        spec = {
            "schedule": str(cron.get("schedule") or "@daily"),
            "jobTemplate": {"spec": {"template": template}},
        }
        if cron.get("parallelism") is not None:
            spec["jobTemplate"]["spec"]["parallelism"] = cron["parallelism"]
    elif kind == "Job":
        job = _map(controller.get("job"))
        spec = {"template": template}
        if job.get("parallelism") is not None:
            spec["parallelism"] = job["parallelism"]
    else:
        spec = {"selector": {"matchLabels": dict(labels)}, "template": template}
        if kind != "DaemonSet":
            spec["replicas"] = controller.get("replicas", 1)
    return {
        "apiVersion": "batch/v1" if kind in {"CronJob", "Job"} else "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": spec,
    }


def chart_major(version: str) -> int | None:
    """The major version of a chart version such as `2.6.0`, `v3.7.1` or `3.x` (None: unknown)."""
    match = re.match(r"\s*[v=^~]*(\d+)", version or "")
    return int(match.group(1)) if match else None


def derive(
    values: Mapping[str, Any], *, release: str, namespace: str, chart_version: str = ""
) -> Derivation:
    """Derive the controllers (and the claims the chart creates) from app-template values."""
    if layout_of(values) == "old":
        return _derive_old(values, release, namespace)
    return _derive_current(values, release, namespace, v2_names=chart_major(chart_version) == 2)


def _v2_name(fullname: str, cid: str, controller: Mapping[str, Any]) -> str:
    if controller.get("nameOverride"):
        return f"{fullname}-{controller['nameOverride']}"
    return fullname if cid == "main" else f"{fullname}-{cid}"


def _derive_current(
    values: Mapping[str, Any], release: str, namespace: str, *, v2_names: bool = False
) -> Derivation:
    fullname = _fullname(values, release)
    always = bool(_map(values.get("global")).get("alwaysAppendIdentifierToResourceName"))
    controllers = {str(k): v for k, v in _map(values.get("controllers")).items() if _enabled(v)}
    persistence = {str(k): v for k, v in _map(values.get("persistence")).items() if _enabled(v)}
    defaults = _map(values.get("defaultPodOptions"))
    strategy = str(values.get("defaultPodOptionsStrategy") or "overwrite")
    notes: list[str] = []

    claim_items = {
        k: v
        for k, v in persistence.items()
        if str(v.get("type") or "persistentVolumeClaim") in {"persistentVolumeClaim", "pvc"}
        and not v.get("existingClaim")
    }
    claim_names = {
        k: _resource_name(
            fullname, k, v, many=len(claim_items) > 1, always=always, r=release, ns=namespace
        )
        for k, v in claim_items.items()
    }
    claims = tuple(
        DerivedClaim(
            _claim(claim_names[k], v, namespace, {"app.kubernetes.io/instance": release}),
            f"persistence.{k}",
        )
        for k, v in claim_items.items()
    )

    derived = []
    for cid, controller in controllers.items():
        kind = _KINDS.get(str(controller.get("type") or "deployment").lower())
        if kind is None:
            notes.append(f"controllers.{cid}: unknown type {controller.get('type')!r}; skipped")
            continue
        name = (
            _v2_name(fullname, cid, controller)
            if v2_names
            else _resource_name(
                fullname,
                cid,
                controller,
                many=len(controllers) > 1,
                always=always,
                r=release,
                ns=namespace,
            )
        )
        labels = {
            "app.kubernetes.io/instance": release,
            "app.kubernetes.io/name": fullname,
            "app.kubernetes.io/controller": cid,
        }
        options = _pod_options(defaults, _map(controller.get("pod")), strategy)
        pod = _pod_spec(options)
        pod["containers"] = _containers(controller.get("containers"), release, namespace)
        init = _containers(controller.get("initContainers"), release, namespace)
        if init:
            pod["initContainers"] = init
        volumes = [
            _volume(k, v, claim_names.get(k, ""), release, namespace)
            for k, v in persistence.items()
            if _mounted_in(v, cid)
        ]
        if volumes:
            pod["volumes"] = volumes
        manifest = _workload(
            kind,
            name=name,
            namespace=namespace,
            labels=labels,
            pod=pod,
            pod_meta=_template_metadata(options, labels),
            controller=controller,
        )
        if kind == "StatefulSet":
            vcts = _map(controller.get("statefulset")).get("volumeClaimTemplates")
            if isinstance(vcts, list):
                manifest["spec"]["volumeClaimTemplates"] = [
                    _claim(str(t.get("name")), t, namespace, {})
                    for t in vcts
                    if isinstance(t, Mapping) and t.get("name")
                ]
        derived.append(
            DerivedController(
                cid,
                manifest,
                f"controllers.{cid}",
                f"controllers.{cid}.pod",
                "current",
                own_affinity=bool(_map(controller.get("pod")).get("affinity")),
            )
        )
    return Derivation(tuple(derived), claims, tuple(notes))


def _old_containers(group: Any, release: str, namespace: str) -> list[dict[str, Any]]:
    out = []
    if isinstance(group, Mapping):
        for cid, spec in group.items():
            if isinstance(spec, Mapping) and _enabled(spec):
                out.append(_container(str(cid), spec, release, namespace))
    elif isinstance(group, list):
        for i, spec in enumerate(group):
            if isinstance(spec, Mapping):
                out.append(_container(str(spec.get("name") or i), spec, release, namespace))
    return out


def _derive_old(values: Mapping[str, Any], release: str, namespace: str) -> Derivation:
    fullname = _fullname(values, release)
    controller = _map(values.get("controller"))
    if not _enabled(controller) and "enabled" in controller:
        return Derivation(notes=("controller.enabled is false; nothing is deployed",))
    kind = _KINDS.get(str(controller.get("type") or "deployment").lower(), "Deployment")
    labels = {"app.kubernetes.io/instance": release, "app.kubernetes.io/name": fullname}
    persistence = {
        str(k): v for k, v in _map(values.get("persistence")).items() if _enabled(v, default=False)
    }
    claims = []
    volumes = []
    for key, item in persistence.items():
        kind_ = str(item.get("type") or "pvc")
        claim_name = f"{fullname}-{key}"
        if kind_ in {"pvc", "persistentVolumeClaim"} and not item.get("existingClaim"):
            claims.append(
                DerivedClaim(
                    _claim(claim_name, item, namespace, {"app.kubernetes.io/instance": release}),
                    f"persistence.{key}",
                )
            )
        volumes.append(_volume(key, item, claim_name, release, namespace))
    main = _container(fullname, values, release, namespace)
    pod = _pod_spec(values)
    pod["containers"] = [
        main,
        *_old_containers(values.get("sidecars"), release, namespace),
        *_old_containers(values.get("additionalContainers"), release, namespace),
    ]
    init = _old_containers(values.get("initContainers"), release, namespace)
    if init:
        pod["initContainers"] = init
    if volumes:
        pod["volumes"] = volumes
    meta = {"labels": {**_map(values.get("podLabels")), **labels}}
    if isinstance(values.get("podAnnotations"), Mapping):
        meta["annotations"] = dict(values["podAnnotations"])
    manifest = _workload(
        kind,
        name=fullname,
        namespace=namespace,
        labels=labels,
        pod=pod,
        pod_meta=meta,
        controller=controller,
    )
    if kind != "DaemonSet" and manifest["spec"].get("replicas") is None:
        manifest["spec"]["replicas"] = 1
    return Derivation(
        (DerivedController("main", manifest, "controller", "", "old"),), tuple(claims)
    )
