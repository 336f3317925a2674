"""The Kubernetes-shaped objects the `app-template` chart renders from its values: containers,
volumes, PersistentVolumeClaims, pod options and the controller objects around them.

`archfit.manifests.helm.apptemplate` decides which objects exist and what they are called; this
module builds each one as the chart's templates would, with no rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archfit.manifests.helm.apptemplate_names import as_mapping, expand_release
from archfit.manifests.helm.images import image_string
from archfit.manifests.helm.values import merge_maps

__all__ = [
    "POD_OPTION_KEYS",
    "claim_object",
    "container_object",
    "container_objects",
    "is_enabled",
    "merged_pod_options",
    "mounted_in",
    "old_layout_containers",
    "pod_spec_of",
    "template_metadata",
    "volume_object",
    "workload_object",
]

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


def is_enabled(item: Any, default: bool = True) -> bool:
    if not isinstance(item, Mapping):
        return False
    value = item.get("enabled", default)
    return value not in (False, "false")


def container_object(
    cid: str, spec: Mapping[str, Any], release: str, namespace: str
) -> dict[str, Any]:
    raw_image = spec.get("image")
    if isinstance(raw_image, Mapping):
        image, _ = image_string(
            {k: expand_release(v, release, namespace) for k, v in raw_image.items()}
        )
    else:
        image = str(expand_release(raw_image, release, namespace) or "")
    out: dict[str, Any] = {"name": str(spec.get("name") or cid), "image": image}
    if isinstance(spec.get("resources"), Mapping):
        out["resources"] = dict(spec["resources"])
    if isinstance(spec.get("ports"), list):
        out["ports"] = [p for p in spec["ports"] if isinstance(p, Mapping)]
    if spec.get("restartPolicy") is not None:
        out["restartPolicy"] = spec["restartPolicy"]
    return out


def container_objects(group: Any, release: str, namespace: str) -> list[dict[str, Any]]:
    out = []
    for cid, spec in as_mapping(group).items():
        if is_enabled(spec):
            out.append(container_object(str(cid), spec, release, namespace))
    return out


def volume_object(
    key: str, item: Mapping[str, Any], claim_name: str, release: str, namespace: str
) -> dict[str, Any]:
    kind = str(item.get("type") or "persistentVolumeClaim")
    name = str(key)
    if item.get("existingClaim") and kind in {"persistentVolumeClaim", "pvc"}:
        claim = str(expand_release(item["existingClaim"], release, namespace))
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
                expand_release(
                    item.get("name") or item.get("identifier") or key, release, namespace
                )
            )
            field_name = "name" if kind == "configMap" else "secretName"
            return {"name": name, kind: {field_name: ref}}
        case "image":
            return {"name": name, "image": {"reference": item.get("image")}}
        case "custom":
            spec = as_mapping(item.get("volumeSpec"))
            return {"name": name, **{k: v for k, v in spec.items() if k != "name"}}
    return {"name": name, "emptyDir": {}}


def claim_object(
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


def mounted_in(item: Mapping[str, Any], controller: str) -> bool:
    advanced = item.get("advancedMounts")
    if not isinstance(advanced, Mapping) or not advanced:
        return True
    return "globalMounts" in item or controller in advanced


def merged_pod_options(
    defaults: Mapping[str, Any], own: Mapping[str, Any], strategy: str
) -> dict[str, Any]:
    if strategy == "merge":
        return merge_maps(defaults, own)
    return {**defaults, **own}


def pod_spec_of(options: Mapping[str, Any]) -> dict[str, Any]:
    return {key: options[key] for key in POD_OPTION_KEYS if options.get(key) is not None}


def template_metadata(options: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"labels": {**as_mapping(options.get("labels")), **labels}}
    if isinstance(options.get("annotations"), Mapping):
        meta["annotations"] = dict(options["annotations"])
    return meta


def workload_object(
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
        cron = as_mapping(controller.get("cronjob"))
        spec = {
            "schedule": str(cron.get("schedule") or "@daily"),
            "jobTemplate": {"spec": {"template": template}},
        }
        if cron.get("parallelism") is not None:
            spec["jobTemplate"]["spec"]["parallelism"] = cron["parallelism"]
    elif kind == "Job":
        job = as_mapping(controller.get("job"))
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


def old_layout_containers(group: Any, release: str, namespace: str) -> list[dict[str, Any]]:
    out = []
    if isinstance(group, Mapping):
        for cid, spec in group.items():
            if isinstance(spec, Mapping) and is_enabled(spec):
                out.append(container_object(str(cid), spec, release, namespace))
    elif isinstance(group, list):
        for i, spec in enumerate(group):
            if isinstance(spec, Mapping):
                out.append(container_object(str(spec.get("name") or i), spec, release, namespace))
    return out
