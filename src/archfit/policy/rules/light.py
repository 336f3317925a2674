"""light-workloads: light services should prefer the Pis, to use the ARM64 capacity.

The strategy designates the Pis for "MQTT broker, Pi-hole, Home Assistant, lightweight proxies".
When a workload's image matches `light.images`, ships an architecture the Pis run, and no
requirement keeps it off every Pi, the placement gets a preferred node affinity towards the
Pis (weight `light.weight`). A preference, not a requirement: the pods still fall back to the
x86 servers when the Pis are full or down. This rule runs after the constraining rules.
"""

from __future__ import annotations

from typing import ClassVar

from archfit.model.pod import PreferredSchedulingTerm
from archfit.model.selectors import NodeSelectorTerm
from archfit.policy.framework import Phase, RuleContext, RuleResult, join_names
from archfit.policy.settings import Settings, image_matches

__all__ = ["LightWorkloadRule"]


class LightWorkloadRule:
    name: ClassVar[str] = "light-workloads"
    finding_ids: ClassVar[tuple[str, ...]] = ("light-workload-not-on-pi",)
    phase: ClassVar[Phase] = "prefer"

    def __init__(self, settings: Settings) -> None:
        self._light = settings.light
        self._pi = settings.nodes.raspberry_pi

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        if ctx.is_daemonset:
            return RuleResult()
        light = sorted(
            {
                use.info.ref.familiar
                for use in ctx.images
                if use.kind != "ephemeral"
                and use.info is not None
                and any(
                    image_matches(p, use.info.ref.registry, use.info.ref.repository)
                    for p in self._light.images
                )
            }
        )
        if not light:
            return RuleResult()
        allowed = ctx.allowed_architectures
        if allowed is None:
            return RuleResult()  # unknown images: sending them to a Pi could be a mistake
        # Without Pis in the inventory there is nothing to prefer (the check says so once).
        pis = [n for n in ctx.pis if n.arch in allowed and ctx.admitted(n, ctx.required)]
        if not pis:
            return RuleResult()
        where = f"Raspberry Pis ({join_names(n.name for n in pis)})"
        term = PreferredSchedulingTerm(
            self._light.weight, NodeSelectorTerm((self._pi.requirement(),))
        )
        affinity = ctx.workload.template.node_affinity
        already = affinity is not None and any(
            self._pi.matches(_labels_of(t.preference)) for t in affinity.preferred
        )
        findings = []
        if not already:
            findings.append(
                ctx.finding(
                    self.name,
                    "light-workload-not-on-pi",
                    "info",
                    f"{join_names(light)} is light and runs on arm64: it could use the "
                    f"{where} and leave the x86 servers to heavier work",
                    f"prefer {self._pi} with weight {self._light.weight} "
                    "(`archfit fix` writes the preferred node affinity)",
                )
            )
        return RuleResult(tuple(findings), preferred=(term,))


def _labels_of(term: NodeSelectorTerm) -> dict[str, str]:
    """The labels an `In`/`Exists` term asks for (enough to see whether it targets the Pis)."""
    out = {}
    for req in term.match_expressions:
        if req.operator == "In" and len(req.values) == 1:
            out[req.key] = req.values[0]
        elif req.operator == "Exists":
            out[req.key] = ""
    return out
