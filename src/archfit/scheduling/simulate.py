"""A whole simulation: controllers expand workloads, admission shapes the pods, the scheduler
places them in queue order, preemption evicts, and failed pods are retried until nothing moves.

    workloads ──snapshot──> PodSpecs ──admit──> PodInfos ──queue (priority, arrival)──> Scheduler
                                      bound in the input ──────────────> Cluster (as the cache)

Queue semantics follow upstream's: higher priority first, then arrival (input order). A pod
whose preemption succeeded is retried at once on its nominated node; victims owned by a
controller are recreated and queued (their controller would). After the queue drains, pods that
failed are retried in queue order while the previous round bound something (upstream retries
them on cluster events).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from archfit.model.node import Node
from archfit.model.workload import Workload
from archfit.scheduling.admission import Admission
from archfit.scheduling.controllers import PodSpec
from archfit.scheduling.framework.cluster import Cluster, DisruptionBudget, Service, Storage
from archfit.scheduling.framework.interface import TieBreaker
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.scheduler import FAST_MIN_NODES, Decision, Scheduler
from archfit.scheduling.snapshot import snapshot_specs

__all__ = ["PodResult", "Simulation", "SimulationConfig", "make_pod"]

MAX_RETRY_ROUNDS = 20


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """How to simulate: the Kubernetes version whose wording and semantics to use, the seed of
    tie-breaks, an optional tie-breaker hook (replays force recorded choices with it), and
    `percentage_of_nodes_to_score` (0: upstream's adaptive default); `explain` keeps every
    node's filter status and scores in the decisions."""

    version: str = "1.32"
    seed: int = 0
    tie_breaker: TieBreaker | None = None
    percentage_of_nodes_to_score: int = 0
    explain: bool = True
    # The vectorised cycle (`archfit.scheduling.fastpath`), used on clusters of at least
    # `fast_min_nodes` nodes; off, every cycle is the exact one. Decisions are identical.
    fast: bool = True
    fast_min_nodes: int = FAST_MIN_NODES


@dataclass(slots=True)
class PodResult:
    """Where one pod ended up. `decision` is the last scheduling cycle (None for pods that were
    bound in the input); `preempted_by` names the pod whose preemption evicted this one."""

    pod: PodInfo
    spec: PodSpec
    node: str | None = None
    message: str | None = None
    decision: Decision | None = None
    bound_in_input: bool = False
    preempted_by: str | None = None
    victims: tuple[str, ...] = ()

    @property
    def scheduled(self) -> bool:
        return self.node is not None


def make_pod(
    spec: PodSpec,
    admission: Admission,
    arrival: int,
    namespaces: Mapping[str, Mapping[str, str]] | None = None,
) -> PodInfo:
    """Admit a controller's pod and build the scheduler's view of it."""
    template = admission.admit(spec.template)
    priority, policy = admission.priority(template)
    return PodInfo(
        spec.namespace,
        spec.name,
        template,
        owner=spec.owner,
        owner_selector=spec.owner_selector,
        priority=priority,
        preemption_policy=policy,
        arrival=arrival,
        namespaces=namespaces,
    )


class Simulation:
    """Nodes, workloads and cluster objects; `run()` places every pod."""

    def __init__(
        self,
        nodes: Sequence[Node],
        workloads: Sequence[Workload],
        *,
        admission: Admission | None = None,
        services: Sequence[Service] = (),
        budgets: Sequence[DisruptionBudget] = (),
        storage: Storage | None = None,
        namespaces: Mapping[str, Mapping[str, str]] | None = None,
        config: SimulationConfig | None = None,
    ) -> None:
        self.nodes = tuple(nodes)
        self.workloads = tuple(workloads)
        self.admission = admission or Admission()
        self.config = config or SimulationConfig()
        self.namespaces = dict(namespaces or {})
        self.cluster = Cluster(
            self.nodes,
            namespaces=self.namespaces,
            services=services,
            storage=storage or Storage(),
            budgets=budgets,
        )
        self.scheduler = Scheduler(
            self.cluster,
            version=self.config.version,
            seed=self.config.seed,
            tie_breaker=self.config.tie_breaker,
            percentage_of_nodes_to_score=self.config.percentage_of_nodes_to_score,
            explain=self.config.explain,
            fast=self.config.fast,
            fast_min_nodes=self.config.fast_min_nodes,
        )
        self.results: list[PodResult] = []
        self._arrival = 0

    # Building pods -----------------------------------------------------------------------

    def _next_arrival(self) -> int:
        self._arrival += 1
        return self._arrival

    def pod_for(self, spec: PodSpec) -> PodInfo:
        return make_pod(spec, self.admission, self._next_arrival(), self.namespaces or None)

    def specs(self) -> list[PodSpec]:
        return snapshot_specs(self.workloads, self.nodes)

    # Running -----------------------------------------------------------------------------

    def run(self) -> list[PodResult]:
        """Place every pod; returns one result per pod, in input order."""
        pending: list[PodResult] = []
        storage = self.cluster.storage
        for spec in self.specs():
            for claim in spec.claims:
                storage.claims.setdefault((claim.namespace, claim.name), claim)
            result = PodResult(self.pod_for(spec), spec)
            self.results.append(result)
            if spec.node is not None and spec.node in self.cluster.infos:
                self.scheduler.bind(result.pod, spec.node)
                result.node = spec.node
                result.bound_in_input = True
            elif spec.node is not None and spec.owner is None:
                result.message = f"bound to node {spec.node}, which is not in the inventory"
            else:
                # A pod whose node is gone: its controller recreates it and it is scheduled.
                pending.append(result)
        self.schedule(pending)
        return self.results

    def schedule(self, pending: Iterable[PodResult]) -> None:
        """Schedule `pending` in queue order, then retry failures while something moves."""
        queue = sorted(pending, key=lambda r: (-r.pod.priority, r.pod.arrival))
        failed: list[PodResult] = []
        for result in queue:
            if not self._attempt(result, queue):
                failed.append(result)
        for _ in range(MAX_RETRY_ROUNDS):
            if not failed:
                break
            still: list[PodResult] = []
            moved = False
            for result in sorted(failed, key=lambda r: (-r.pod.priority, r.pod.arrival)):
                if self._attempt(result, still):
                    moved = True
                else:
                    still.append(result)
            failed = still
            if not moved:
                break

    def _attempt(self, result: PodResult, queue: list[PodResult]) -> bool:
        decision = self.scheduler.schedule_one(result.pod)
        if decision.node is None and decision.nominated_node is not None:
            result.victims = tuple(v.key for v in decision.victims)
            for victim in decision.victims:
                self._evicted(victim, by=result.pod, queue=queue)
            first_message = decision.message
            decision = self.scheduler.schedule_one(result.pod)
            if decision.node is None:
                decision.message = decision.message or first_message
        result.decision = decision
        if decision.node is None:
            result.message = decision.message
            return False
        self.scheduler.bind(result.pod, decision.node, decision.state)
        decision.state = None
        result.node = decision.node
        result.message = None
        return True

    def _evicted(self, victim: PodInfo, *, by: PodInfo, queue: list[PodResult]) -> None:
        for result in self.results:
            if result.pod is victim:
                result.node = None
                result.preempted_by = by.key
                result.message = f"preempted by {by.key}"
                replacement = self.replace(result)
                if replacement is not None:
                    queue.append(replacement)
                return

    def replace(self, result: PodResult) -> PodResult | None:
        """The pod a controller creates for one that went away (None for bare pods)."""
        spec = result.spec
        if spec.owner is None:
            return None
        name = spec.name if spec.owner.startswith("StatefulSet/") else f"{spec.name}-r"
        template = spec.template
        if spec.workload is not None and spec.workload.kind == "Pod" and template.node_name:
            # A running pod of the input: its controller's template names no node.
            template = replace(template, node_name=None)
        new_spec = PodSpec(
            spec.namespace,
            name,
            template,
            spec.owner,
            spec.owner_selector,
            spec.workload,
            None,
            spec.claims,
            spec.daemon_node,
        )
        replacement = PodResult(self.pod_for(new_spec), new_spec)
        self.results.append(replacement)
        return replacement
