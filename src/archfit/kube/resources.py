"""The API resources archfit reads, as lightkube generic resources (plain dicts, no typed models).

`RESOURCES` maps a short name to where the resource lives; `generic(name)` gives the lightkube
class. Secrets and ServiceAccounts are read only one by name with `get` (the webhook's pull
secrets for one pod), never listed or watched.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from lightkube.generic_resource import create_global_resource, create_namespaced_resource

__all__ = ["RESOURCES", "ApiResource", "generic"]


@dataclass(frozen=True, slots=True)
class ApiResource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


RESOURCES: dict[str, ApiResource] = {
    r.plural: r
    for r in (
        ApiResource("", "v1", "Node", "nodes", namespaced=False),
        ApiResource("", "v1", "Namespace", "namespaces", namespaced=False),
        ApiResource("", "v1", "Pod", "pods", namespaced=True),
        ApiResource("", "v1", "Event", "events", namespaced=True),
        ApiResource("", "v1", "Secret", "secrets", namespaced=True),
        ApiResource("", "v1", "ServiceAccount", "serviceaccounts", namespaced=True),
        ApiResource("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", namespaced=True),
        ApiResource("", "v1", "PersistentVolume", "persistentvolumes", namespaced=False),
        ApiResource("apps", "v1", "Deployment", "deployments", namespaced=True),
        ApiResource("apps", "v1", "StatefulSet", "statefulsets", namespaced=True),
        ApiResource("apps", "v1", "DaemonSet", "daemonsets", namespaced=True),
        ApiResource("apps", "v1", "ReplicaSet", "replicasets", namespaced=True),
        ApiResource("batch", "v1", "Job", "jobs", namespaced=True),
        ApiResource("batch", "v1", "CronJob", "cronjobs", namespaced=True),
        ApiResource("storage.k8s.io", "v1", "StorageClass", "storageclasses", namespaced=False),
        ApiResource("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", namespaced=True),
        ApiResource("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False),
    )
}


@cache
def generic(plural: str) -> Any:
    """The lightkube generic resource class for `plural` (e.g. `pods`)."""
    r = RESOURCES[plural]
    make = create_namespaced_resource if r.namespaced else create_global_resource
    return make(r.group, r.version, r.kind, r.plural)
