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

This module decides which controllers and claims exist; their names come from
`apptemplate_names` and the objects themselves from `apptemplate_objects`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from archfit.manifests.helm.apptemplate_names import (
    as_mapping,
    chart_fullname,
    resource_name,
    v2_controller_name,
)
from archfit.manifests.helm.apptemplate_objects import (
    claim_object,
    container_object,
    container_objects,
    is_enabled,
    merged_pod_options,
    mounted_in,
    old_layout_containers,
    pod_spec_of,
    template_metadata,
    volume_object,
    workload_object,
)

__all__ = [
    "APP_TEMPLATE_CHARTS",
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

_KINDS = {
    "deployment": "Deployment",
    "statefulset": "StatefulSet",
    "daemonset": "DaemonSet",
    "cronjob": "CronJob",
    "job": "Job",
}


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


def _derive_current(
    values: Mapping[str, Any], release: str, namespace: str, *, v2_names: bool = False
) -> Derivation:
    fullname = chart_fullname(values, release)
    always = bool(as_mapping(values.get("global")).get("alwaysAppendIdentifierToResourceName"))
    controllers = {
        str(k): v for k, v in as_mapping(values.get("controllers")).items() if is_enabled(v)
    }
    persistence = {
        str(k): v for k, v in as_mapping(values.get("persistence")).items() if is_enabled(v)
    }
    defaults = as_mapping(values.get("defaultPodOptions"))
    strategy = str(values.get("defaultPodOptionsStrategy") or "overwrite")
    notes: list[str] = []

    claim_items = {
        k: v
        for k, v in persistence.items()
        if str(v.get("type") or "persistentVolumeClaim") in {"persistentVolumeClaim", "pvc"}
        and not v.get("existingClaim")
    }
    claim_names = {
        k: resource_name(
            fullname, k, v, many=len(claim_items) > 1, always=always, r=release, ns=namespace
        )
        for k, v in claim_items.items()
    }
    claims = tuple(
        DerivedClaim(
            claim_object(claim_names[k], v, namespace, {"app.kubernetes.io/instance": release}),
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
            v2_controller_name(fullname, cid, controller)
            if v2_names
            else resource_name(
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
        options = merged_pod_options(defaults, as_mapping(controller.get("pod")), strategy)
        pod = pod_spec_of(options)
        pod["containers"] = container_objects(controller.get("containers"), release, namespace)
        init = container_objects(controller.get("initContainers"), release, namespace)
        if init:
            pod["initContainers"] = init
        volumes = [
            volume_object(k, v, claim_names.get(k, ""), release, namespace)
            for k, v in persistence.items()
            if mounted_in(v, cid)
        ]
        if volumes:
            pod["volumes"] = volumes
        manifest = workload_object(
            kind,
            name=name,
            namespace=namespace,
            labels=labels,
            pod=pod,
            pod_meta=template_metadata(options, labels),
            controller=controller,
        )
        if kind == "StatefulSet":
            vcts = as_mapping(controller.get("statefulset")).get("volumeClaimTemplates")
            if isinstance(vcts, list):
                manifest["spec"]["volumeClaimTemplates"] = [
                    claim_object(str(t.get("name")), t, namespace, {})
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
                own_affinity=bool(as_mapping(controller.get("pod")).get("affinity")),
            )
        )
    return Derivation(tuple(derived), claims, tuple(notes))


def _derive_old(values: Mapping[str, Any], release: str, namespace: str) -> Derivation:
    fullname = chart_fullname(values, release)
    controller = as_mapping(values.get("controller"))
    if not is_enabled(controller) and "enabled" in controller:
        return Derivation(notes=("controller.enabled is false; nothing is deployed",))
    kind = _KINDS.get(str(controller.get("type") or "deployment").lower(), "Deployment")
    labels = {"app.kubernetes.io/instance": release, "app.kubernetes.io/name": fullname}
    persistence = {
        str(k): v
        for k, v in as_mapping(values.get("persistence")).items()
        if is_enabled(v, default=False)
    }
    claims = []
    volumes = []
    for key, item in persistence.items():
        kind_ = str(item.get("type") or "pvc")
        claim_name = f"{fullname}-{key}"
        if kind_ in {"pvc", "persistentVolumeClaim"} and not item.get("existingClaim"):
            claims.append(
                DerivedClaim(
                    claim_object(
                        claim_name, item, namespace, {"app.kubernetes.io/instance": release}
                    ),
                    f"persistence.{key}",
                )
            )
        volumes.append(volume_object(key, item, claim_name, release, namespace))
    main = container_object(fullname, values, release, namespace)
    pod = pod_spec_of(values)
    pod["containers"] = [
        main,
        *old_layout_containers(values.get("sidecars"), release, namespace),
        *old_layout_containers(values.get("additionalContainers"), release, namespace),
    ]
    init = old_layout_containers(values.get("initContainers"), release, namespace)
    if init:
        pod["initContainers"] = init
    if volumes:
        pod["volumes"] = volumes
    meta = {"labels": {**as_mapping(values.get("podLabels")), **labels}}
    if isinstance(values.get("podAnnotations"), Mapping):
        meta["annotations"] = dict(values["podAnnotations"])
    manifest = workload_object(
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
