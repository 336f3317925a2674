"""Which volumes of a workload tie its pods to one node, and which need cluster storage.

One rule, used by `check` (the storage rule) and `simulate --suggest` (which workloads could move
to arm64), so the two never disagree about a volume:

- a hostPath volume is node-local: the pod uses the files or devices of the node it runs on;
- a claim (or volumeClaimTemplate, or generic ephemeral volume) of a node-local class — the
  local-path provisioner, static local volumes (`kubernetes.io/no-provisioner`), OpenEBS
  hostpath — is node-local: once bound, the volume's node affinity pins the pod to that node;
- a claim of any other class is cluster storage (Longhorn, Ceph, NFS, a cloud disk);
- a claim whose class is unknown (claim not among the inputs, no default class) is `unknown`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from archfit.model.workload import PersistentVolumeClaim, StorageClass, Workload

__all__ = ["NODE_LOCAL_PROVISIONERS", "VolumeUse", "workload_volumes"]

Locality = Literal["node-local", "cluster", "unknown"]

NODE_LOCAL_PROVISIONERS = frozenset(
    {"rancher.io/local-path", "kubernetes.io/no-provisioner", "openebs.io/local"}
)
# Class names that mean the same when the StorageClass itself is not among the inputs (k3s
# ships `local-path`; `local-storage` is the usual name of static local volumes).
_NODE_LOCAL_NAMES = frozenset({"local-path", "local-storage", "openebs-hostpath"})


@dataclass(frozen=True, slots=True)
class VolumeUse:
    name: str  # the volume, claim or claim template
    locality: Locality
    storage_class: str | None = None
    host_path: str | None = None

    def describe(self) -> str:
        if self.host_path is not None:
            return f"host path {self.host_path}"
        return f"{self.name} ({self.storage_class or 'no known class'})"


def _default(classes: Mapping[str, StorageClass]) -> str | None:
    defaults = sorted(name for name, sc in classes.items() if sc.is_default)
    return defaults[0] if defaults else None


def _claim_class(claim: PersistentVolumeClaim, classes: Mapping[str, StorageClass]) -> str | None:
    # A claim without storageClassName gets the default class (DefaultStorageClass admission);
    # an explicit "" means "no class" (static binding).
    if claim.storage_class is None:
        return _default(classes)
    return claim.storage_class or None


def _locality(cls: str | None, classes: Mapping[str, StorageClass]) -> Locality:
    if cls is None:
        return "unknown"
    known = classes.get(cls)
    if known is not None and known.provisioner in NODE_LOCAL_PROVISIONERS:
        return "node-local"
    if known is None and cls in _NODE_LOCAL_NAMES:
        return "node-local"
    return "cluster"


def workload_volumes(
    workload: Workload,
    claims: Mapping[tuple[str, str], PersistentVolumeClaim],
    classes: Mapping[str, StorageClass],
) -> list[VolumeUse]:
    """Every hostPath and persistent volume of the workload, with its locality."""
    out: list[VolumeUse] = []
    for volume in workload.template.volumes:
        if volume.source == "hostPath" and volume.host_path:
            out.append(VolumeUse(volume.name, "node-local", host_path=volume.host_path))
        elif volume.source == "persistentVolumeClaim" and volume.claim_name:
            claim = claims.get((workload.namespace, volume.claim_name))
            cls = _claim_class(claim, classes) if claim else None
            out.append(VolumeUse(volume.claim_name, _locality(cls, classes), cls))
        elif volume.source == "ephemeral":
            cls = volume.storage_class or _default(classes)
            out.append(VolumeUse(volume.name, _locality(cls, classes), cls))
    for template in workload.volume_claim_templates:
        cls = _claim_class(template, classes)
        out.append(VolumeUse(template.name, _locality(cls, classes), cls))
    return out
