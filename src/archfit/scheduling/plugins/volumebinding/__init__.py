"""VolumeBinding: pods with PersistentVolumeClaims go where their volumes can be.

Modelled: a claim that does not exist (`persistentvolumeclaim "x" not found`, PreFilter,
unresolvable); a claim bound to a volume (by `volumeName`, by the volume's `claimRef`, or pinned
earlier in the simulation) admits only nodes matching the volume's node affinity; an unbound
claim of a `WaitForFirstConsumer` class admits nodes allowed by the class's `allowedTopologies`
and, for statically provisioned classes (`kubernetes.io/no-provisioner`), nodes where a free
volume of the class exists. Unbound claims of `Immediate` classes are taken as provisioned
anywhere (offline there is no provisioner to wait for). When a pod is placed, claims of
node-local volumes (local-path and similar provisioners, local PVs) are pinned to the node, so a
what-if knows those pods cannot move. VolumeBinding does not score (upstream's scorer is off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archfit.model.workload import PersistentVolume, PersistentVolumeClaim, StorageClass
from archfit.scheduling.framework.interface import CycleState, Handle
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Status

__all__ = ["LOCAL_PROVISIONERS", "NAME", "VolumeBinding", "pod_claims"]

NAME = "VolumeBinding"
REASON_NODE_CONFLICT = "node(s) didn't match PersistentVolume's node affinity"
REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
REASON_PV_NOT_EXIST = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
_STATE = "PreFilter" + NAME

# Provisioners whose volumes live on one node's disk.
LOCAL_PROVISIONERS = frozenset(
    {
        "rancher.io/local-path",
        "kubernetes.io/no-provisioner",
        "openebs.io/local",
        "topolvm.io",
        "local.csi.openebs.io",
        "driver.longhorn.io/local",
    }
)


def pod_claims(pod: PodInfo) -> list[tuple[str, str | None, bool]]:
    """(claim name, inline storage class, is generic ephemeral) for each claim volume."""
    out: list[tuple[str, str | None, bool]] = []
    for volume in pod.template.volumes:
        if volume.source == "persistentVolumeClaim" and volume.claim_name:
            out.append((volume.claim_name, None, False))
        elif volume.source == "ephemeral":
            out.append((f"{pod.name}-{volume.name}", volume.storage_class, True))
    return out


@dataclass(slots=True)
class _Claim:
    key: tuple[str, str]
    volume: PersistentVolume | None
    missing_volume: bool
    storage_class: StorageClass | None


class VolumeBinding:
    name = NAME

    def __init__(self, handle: Handle, args: Any = None) -> None:
        del args
        self._cluster = handle.cluster

    def _bound_volume(self, claim: PersistentVolumeClaim) -> tuple[PersistentVolume | None, bool]:
        storage = self._cluster.storage
        if claim.volume_name:
            volume = storage.volumes.get(claim.volume_name)
            return volume, volume is None
        for volume in storage.volumes.values():
            if volume.claim == (claim.namespace, claim.name):
                return volume, False
        return None, False

    def pre_filter(
        self, state: CycleState, pod: PodInfo
    ) -> tuple[frozenset[str] | None, Status | None]:
        wanted = pod_claims(pod)
        if not wanted:
            return None, Status.skip()
        storage = self._cluster.storage
        claims: list[_Claim] = []
        for name, inline_class, ephemeral in wanted:
            key = (pod.namespace, name)
            claim = storage.claims.get(key)
            if claim is None and not ephemeral:
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" not found')
            volume, missing = (None, False) if claim is None else self._bound_volume(claim)
            class_name = inline_class if claim is None else claim.storage_class
            storage_class = (
                storage.classes.get(class_name) if class_name else storage.default_class()
            )
            claims.append(_Claim(key, volume, missing, storage_class))
        state[_STATE] = claims
        return None, None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        claims: list[_Claim] = state[_STATE]
        storage = self._cluster.storage
        for claim in claims:
            pinned = storage.pinned.get(claim.key)
            if pinned is not None:
                if pinned != node.name:
                    return Status.unresolvable(REASON_NODE_CONFLICT)
                continue
            if claim.missing_volume:
                return Status.unresolvable(REASON_PV_NOT_EXIST)
            if claim.volume is not None:
                affinity = claim.volume.node_affinity
                if affinity is not None and not affinity.matches(node.name, node.labels):
                    return Status.unresolvable(REASON_NODE_CONFLICT)
                continue
            sc = claim.storage_class
            if sc is None or sc.volume_binding_mode != "WaitForFirstConsumer":
                continue
            if sc.allowed_topologies is not None and not sc.allowed_topologies.matches(
                node.name, node.labels
            ):
                return Status.unresolvable(REASON_BIND_CONFLICT)
            if sc.provisioner == "kubernetes.io/no-provisioner" and not self._free_volume(sc, node):
                return Status.unresolvable(REASON_BIND_CONFLICT)
        return None

    def _free_volume(self, sc: StorageClass, node: NodeInfo) -> PersistentVolume | None:
        for volume in self._cluster.storage.volumes.values():
            if volume.storage_class != sc.name or volume.claim is not None:
                continue
            if volume.node_affinity is None or volume.node_affinity.matches(node.name, node.labels):
                return volume
        return None

    def reserve(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> None:
        claims: list[_Claim] | None = state.get(_STATE)
        if not claims:
            return
        storage = self._cluster.storage
        for claim in claims:
            if claim.key in storage.pinned:
                continue
            local = False
            if claim.volume is not None:
                local = claim.volume.local_path is not None or _pins_hostname(claim.volume)
            elif claim.storage_class is not None:
                local = claim.storage_class.provisioner in LOCAL_PROVISIONERS
            if local:
                storage.pinned[claim.key] = node.name


def _pins_hostname(volume: PersistentVolume) -> bool:
    affinity = volume.node_affinity
    if affinity is None:
        return False
    return any(
        req.key in ("kubernetes.io/hostname", "metadata.name")
        for term in affinity.terms
        for req in term.match_expressions + term.match_fields
    )
