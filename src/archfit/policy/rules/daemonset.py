"""daemonset: a DaemonSet runs everywhere only if its images cover every architecture there.

The DaemonSet controller creates a pod on every node its template's selector, affinity and
tolerations (plus the controller's automatic tolerations) admit. If an image lacks the
architecture of one of those nodes, that pod never runs; the DaemonSet must be restricted to the
architectures its images ship (the `arch` rule supplies that restriction) or use multi-arch
images. The strategy's velero node-agent, cilium-agent and node-exporter pass because they are
multi-arch.
"""

from __future__ import annotations

from typing import ClassVar

from archfit.policy.framework import (
    Phase,
    RuleContext,
    RuleResult,
    image_architectures,
    join_names,
    user_architectures,
)
from archfit.policy.settings import Settings

__all__ = ["DaemonSetRule"]


class DaemonSetRule:
    name: ClassVar[str] = "daemonset"
    finding_ids: ClassVar[tuple[str, ...]] = ("daemonset-not-multiarch",)
    phase: ClassVar[Phase] = "constrain"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        if not ctx.is_daemonset:
            return RuleResult()
        allowed = ctx.image_architectures
        if allowed is None or not allowed:
            return RuleResult()  # unknown, or reported by the arch rule
        resolved = [
            u
            for u in ctx.images
            if u.kind != "ephemeral" and u.info is not None and u.info.status == "resolved"
        ]
        if ctx.inventory:
            uncovered = ctx.own_nodes_missing(resolved)
            archs = sorted({n.arch for n in uncovered})
            where = f"{', '.join(archs)} nodes {join_names(n.name for n in uncovered)}"
        else:
            user = user_architectures(ctx.workload, ctx.cluster_architectures)
            archs = sorted((user if user is not None else ctx.cluster_architectures) - allowed)
            uncovered = ()
            where = f"{', '.join(archs)} nodes"
        if not archs:
            return RuleResult()
        lacking = [
            u.info.ref.familiar
            for u in resolved
            if u.info is not None and not image_architectures(u.info) >= set(archs)
        ]
        finding = ctx.finding(
            self.name,
            "daemonset-not-multiarch",
            "error",
            f"the DaemonSet would put a pod on every node it selects, including the {where}, "
            f"but {join_names(lacking)} lacks {', '.join(archs)}: those pods can never run",
            f"restrict it with kubernetes.io/arch In [{', '.join(sorted(allowed))}] "
            "(`archfit fix` writes it) or switch to multi-arch images",
            nodes=[n.name for n in uncovered],
        )
        return RuleResult((finding,))
