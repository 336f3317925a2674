"""user-choice: explicit user choices are respected, and checked.

- An architecture the user already chose (nodeSelector or required node affinity on
  `kubernetes.io/arch`) is intersected with what the images ship; when nothing is left, the
  choice contradicts the images (`arch-constraint-contradicts-images`).
- The annotation `archfit.dev/arch: "amd64,arm64"` (on the workload or its pod template) declares
  the architectures to allow; archfit intersects it with the images too.
- The label `beta.kubernetes.io/arch` (and `beta.kubernetes.io/os`), deprecated since
  Kubernetes 1.14, is flagged: newer kubelets no longer set it, so a selector on it stops matching.

`archfit.dev/ignore` is applied by the engine.
"""

from __future__ import annotations

from typing import ClassVar

from archfit.errors import InvalidValue
from archfit.model.finding import Finding
from archfit.policy.framework import (
    ARCH_ANNOTATION,
    Phase,
    RuleContext,
    RuleResult,
    chosen_architectures,
    declared_architectures,
    join_names,
)
from archfit.policy.settings import Settings

__all__ = ["ARCH_ANNOTATION", "UserChoiceRule"]

_DEPRECATED = {
    "beta.kubernetes.io/arch": "kubernetes.io/arch",
    "beta.kubernetes.io/os": "kubernetes.io/os",
}


class UserChoiceRule:
    name: ClassVar[str] = "user-choice"
    finding_ids: ClassVar[tuple[str, ...]] = (
        "arch-constraint-contradicts-images",
        "deprecated-arch-label",
        "invalid-annotation",
    )
    phase: ClassVar[Phase] = "constrain"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        findings = list(self._deprecated(ctx))
        renamed = tuple((f.details["label"], _DEPRECATED[f.details["label"]]) for f in findings)
        try:
            declared = declared_architectures(ctx)
        except InvalidValue as err:
            findings.append(
                ctx.finding(
                    self.name,
                    "invalid-annotation",
                    "error",
                    f"annotation {ARCH_ANNOTATION}: {err.message}",
                    f'write {ARCH_ANNOTATION}: "amd64,arm64" (a comma-separated list)',
                )
            )
            return RuleResult(tuple(findings), renamed_keys=renamed)
        chosen = chosen_architectures(ctx)
        images = ctx.image_architectures
        if chosen is not None and images is not None and images and not chosen & images:
            how = f"annotation {ARCH_ANNOTATION}" if declared is not None else "its node selection"
            findings.append(
                ctx.finding(
                    self.name,
                    "arch-constraint-contradicts-images",
                    "error",
                    f"{how} allows only {', '.join(sorted(chosen)) or 'no architecture'}, but "
                    f"its images run only on {', '.join(sorted(images))}: no node can run it",
                    "change the architecture constraint to one the images ship, or use "
                    f"images built for {join_names(sorted(chosen))}",
                    chosen=sorted(chosen),
                    images=sorted(images),
                )
            )
        return RuleResult(tuple(findings), architectures=chosen, renamed_keys=renamed)

    def _deprecated(self, ctx: RuleContext) -> list[Finding]:
        template = ctx.workload.template
        keys = set(template.node_selector)
        affinity = template.node_affinity
        if affinity is not None:
            terms = list(affinity.required.terms) if affinity.required else []
            terms += [p.preference for p in affinity.preferred]
            keys |= {e.key for t in terms for e in t.match_expressions}
        return [
            ctx.finding(
                self.name,
                "deprecated-arch-label",
                "warning",
                f"selects nodes by {key}, deprecated since Kubernetes 1.14: kubelets still set it "
                "only for backward compatibility, and inventories, node images and tools that "
                "follow the current labels lack it, so the selector can silently match nothing",
                f"use {_DEPRECATED[key]} instead (`archfit fix` writes it)",
                label=key,
            )
            for key in sorted(keys)
            if key in _DEPRECATED
        ]
