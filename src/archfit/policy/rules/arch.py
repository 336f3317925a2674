"""arch: a workload may only use the architectures every one of its images ships.

Init containers (sidecars included) and app containers count; an ephemeral container's image
only warns, because debugging containers are added by hand to a running pod. The restriction
becomes `kubernetes.io/arch In [...]` (the engine adds it when the cluster has other
architectures). DaemonSets are reported by the `daemonset` rule instead.
"""

from __future__ import annotations

from typing import ClassVar

from archfit.model.check import ImageUse
from archfit.model.node import Node
from archfit.policy.framework import (
    Phase,
    RuleContext,
    RuleResult,
    chosen_architectures,
    image_architectures,
    join_names,
    user_architectures,
)
from archfit.policy.settings import Settings

__all__ = ["ArchRule"]


def _describe(uses: list[ImageUse]) -> str:
    parts = []
    for use in uses:
        assert use.info is not None
        archs = ", ".join(use.info.architectures) or "no linux platform"
        parts.append(f"{use.info.ref.familiar} ships only {archs}")
    return "; ".join(parts)


def _exposed_text(nodes: list[Node]) -> str:
    archs = ", ".join(sorted({n.arch for n in nodes}))
    return f"the {archs} nodes {join_names(n.name for n in nodes)}"


class ArchRule:
    name: ClassVar[str] = "arch"
    finding_ids: ClassVar[tuple[str, ...]] = ("arch-mismatch",)
    phase: ClassVar[Phase] = "constrain"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        allowed = ctx.image_architectures
        resolved = [
            u
            for u in ctx.images
            if u.kind != "ephemeral" and u.info is not None and u.info.status == "resolved"
        ]
        findings = []
        if allowed is not None and not allowed:
            findings.append(
                ctx.finding(
                    self.name,
                    "arch-mismatch",
                    "error",
                    "its images share no architecture, so no node can run all of them: "
                    + _describe(resolved),
                    "use images built for a common architecture (ideally multi-arch images)",
                )
            )
            return RuleResult(tuple(findings), architectures=allowed)
        user = chosen_architectures(ctx)
        contradicted = user is not None and allowed is not None and not user & allowed
        if allowed is not None and not ctx.is_daemonset and not contradicted:
            # (a user choice that contradicts the images is the user-choice rule's finding)
            targets = self._exposed(ctx, resolved, allowed)
            if targets:
                lacking = [
                    u
                    for u in resolved
                    if u.info is not None
                    and not image_architectures(u.info) >= ctx.cluster_architectures
                ] or resolved
                findings.append(
                    ctx.finding(
                        self.name,
                        "arch-mismatch",
                        "error",
                        f"{_describe(lacking)}, but nothing keeps its pods off {targets}: "
                        "there the image fails to pull (no match for platform) or crashes "
                        "with exec format error",
                        f"require kubernetes.io/arch In [{', '.join(sorted(allowed))}] "
                        "(`archfit fix` writes it), or use an image that ships every "
                        "architecture of the cluster",
                        allowed=sorted(allowed),
                    )
                )
        for use in ctx.images:
            if use.kind != "ephemeral" or use.info is None or use.info.status != "resolved":
                continue
            need = allowed if allowed is not None else ctx.cluster_architectures
            missing = sorted(need - image_architectures(use.info))
            if missing:
                findings.append(
                    ctx.finding(
                        self.name,
                        "arch-mismatch",
                        "warning",
                        f"ephemeral container {use.container}: {use.info.ref.familiar} lacks "
                        f"{', '.join(missing)}, so it cannot debug pods on those nodes",
                        "use a multi-arch debugging image such as busybox",
                    )
                )
        return RuleResult(tuple(findings), architectures=allowed)

    @staticmethod
    def _exposed(ctx: RuleContext, resolved: list[ImageUse], allowed: frozenset[str]) -> str:
        """Which nodes the pods could reach without being able to run there ("" if none)."""
        if ctx.inventory:
            bad = list(ctx.own_nodes_missing(resolved))
            return _exposed_text(bad) if bad else ""
        user = user_architectures(ctx.workload, ctx.cluster_architectures)
        archs = sorted((user if user is not None else ctx.cluster_architectures) - allowed)
        return f"{', '.join(archs)} nodes" if archs else ""
