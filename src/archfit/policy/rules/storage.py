"""storage: workloads whose volumes use the distributed-storage classes stay off nodes that do
not run the storage agent.

The strategy excludes its Pis from Longhorn (`kubernetes.io/storage: none`); a pod with a Longhorn
volume scheduled there waits forever for the volume to attach. Volumes count through their
PersistentVolumeClaim (read from the same inputs; a claim without a class gets the default
StorageClass), volumeClaimTemplates and generic ephemeral volumes.
"""

from __future__ import annotations

from typing import ClassVar

from archfit.policy.framework import Phase, RuleContext, RuleResult, join_names
from archfit.policy.settings import Settings

__all__ = ["StorageRule"]


class StorageRule:
    name: ClassVar[str] = "storage"
    finding_ids: ClassVar[tuple[str, ...]] = ("storage-on-excluded-node",)
    phase: ClassVar[Phase] = "constrain"

    def __init__(self, settings: Settings) -> None:
        self._storage = settings.storage

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        used = [
            (use.name, use.storage_class)
            for use in ctx.storage.volumes(ctx.workload)
            if use.locality == "cluster" and use.storage_class in self._storage.classes
        ]
        if not used:
            return RuleResult()
        label = self._storage.excluded_node_label
        findings = []
        bad = [n for n in ctx.own_nodes if label.matches(n.labels)]
        if bad:
            volumes = join_names(f"{volume} ({cls})" for volume, cls in used)
            findings.append(
                ctx.finding(
                    self.name,
                    "storage-on-excluded-node",
                    "error",
                    f"mounts {volumes}, but nothing keeps it off "
                    f"{join_names(n.name for n in bad)}, "
                    f"labelled {label} (no storage agent there): the volume would never attach",
                    f"require {label.exclusion().key} {label.exclusion().operator} "
                    f"[{', '.join(label.exclusion().values)}] (`archfit fix` writes it)",
                    volumes=[volume for volume, _ in used],
                )
            )
        return RuleResult(tuple(findings), required=(label.exclusion(),))
