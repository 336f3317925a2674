"""size: heavy workloads stay off the Pis.

Heavy means the pod requests more than a Pi offers (the smallest Pi of the inventory, or
`size.maxPiCpu`/`size.maxPiMemory`, or the strategy's Raspberry Pi 4: 3 cores, 3Gi), or an image
matches the heavy categories (databases, search engines, brokers; `size.heavyImages`). The
scheduler would keep an oversized pod off a Pi by itself, but a database with modest requests
would land there and starve it. DaemonSets are exempt: they run on every node by design.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import ClassVar

from archfit.model.image import ImageRef
from archfit.model.node import Node
from archfit.model.quantity import Quantity
from archfit.model.resources import pod_requests
from archfit.policy.framework import Phase, RuleContext, RuleResult, join_names
from archfit.policy.settings import Settings, SizeSettings, image_matches

__all__ = ["SizeRule", "is_heavy_image", "pi_limits"]

_STRATEGY_PI_CPU = Decimal(3)
_STRATEGY_PI_MEMORY = Decimal(3 * 2**30)


def pi_limits(size: SizeSettings, pis: Iterable[Node]) -> tuple[Decimal, Decimal]:
    """The cpu (cores) and memory (bytes) a pod may request and still belong on a Pi: the
    configured maxima, else the smallest Pi's allocatable, else the strategy's Pi 4."""
    pis = tuple(pis)
    cpu = (
        size.max_pi_cpu.value
        if size.max_pi_cpu is not None
        else min(
            (n.allocatable["cpu"].value for n in pis if "cpu" in n.allocatable),
            default=_STRATEGY_PI_CPU,
        )
    )
    memory = (
        size.max_pi_memory.value
        if size.max_pi_memory is not None
        else min(
            (n.allocatable["memory"].value for n in pis if "memory" in n.allocatable),
            default=_STRATEGY_PI_MEMORY,
        )
    )
    return cpu, memory


def is_heavy_image(size: SizeSettings, ref: ImageRef) -> bool:
    """Whether `ref` is one of the heavy services (`size.heavyImages`: databases, brokers…)."""
    return any(image_matches(p, ref.registry, ref.repository) for p in size.heavy_images)


class SizeRule:
    name: ClassVar[str] = "size"
    finding_ids: ClassVar[tuple[str, ...]] = ("too-large-for-pi",)
    phase: ClassVar[Phase] = "constrain"

    def __init__(self, settings: Settings) -> None:
        self._size = settings.size
        self._pi = settings.nodes.raspberry_pi
        self._known: tuple[tuple[Node, ...], tuple[Decimal, Decimal]] | None = None

    def _limits(self, ctx: RuleContext) -> tuple[Decimal, Decimal]:
        pis = ctx.pis
        # Contexts of one engine share one tuple of Pis: their limits are computed once.
        if self._known is not None and self._known[0] is pis:
            return self._known[1]
        limits = self._pi_limits(pis)
        self._known = (pis, limits)
        return limits

    def _pi_limits(self, pis: tuple[Node, ...]) -> tuple[Decimal, Decimal]:
        return pi_limits(self._size, pis)

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        if ctx.is_daemonset:
            return RuleResult()
        reasons = []
        heavy = sorted(
            {
                use.info.ref.familiar if use.info else use.image
                for use in ctx.images
                if use.kind != "ephemeral"
                and use.info is not None
                and is_heavy_image(self._size, use.info.ref)
            }
        )
        if heavy:
            reasons.append(f"runs {join_names(heavy)}, a heavy service")
        requests = pod_requests(ctx.workload.template)
        cpu_limit, memory_limit = self._limits(ctx)
        over = []
        if requests.get("cpu", Decimal(0)) > cpu_limit:
            over.append(
                f"{Quantity(requests['cpu']).format_cpu()} cpu "
                f"(a Pi offers {Quantity(cpu_limit).format_cpu()})"
            )
        if requests.get("memory", Decimal(0)) > memory_limit:
            over.append(
                f"{Quantity(requests['memory']).format_bytes()} memory "
                f"(a Pi offers {Quantity(memory_limit).format_bytes()})"
            )
        if over:
            reasons.append(f"requests {' and '.join(over)}")
        if not reasons:
            return RuleResult()
        exclusion = self._pi.exclusion()
        findings = []
        pis = ctx.own_pis
        if pis or (not ctx.inventory and ctx.admits_labels(ctx.pi_labels)):
            where = f" ({join_names(n.name for n in pis)})" if pis else ""
            findings.append(
                ctx.finding(
                    self.name,
                    "too-large-for-pi",
                    "warning",
                    f"{'; '.join(reasons)}, yet nothing keeps it off the Raspberry Pis{where}",
                    f"require {exclusion.key} {exclusion.operator} [{', '.join(exclusion.values)}] "
                    "(`archfit fix` writes it)",
                )
            )
        return RuleResult(tuple(findings), required=(exclusion,))
