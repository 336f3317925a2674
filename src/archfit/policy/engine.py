"""The policy engine: runs the rules over one workload and combines their results.

    images (ImagePlatforms) ─┐
    inventory nodes ─────────┼─> constrain rules ─> architectures ∩, requirements ─┐
    settings ────────────────┘                                                      │
                               prefer rules (see the combined requirements) <──────┘
                               ─> Placement ─> eligibility per node (nodefilter) ─> verdict

The architectures allowed by every rule become one `kubernetes.io/arch In [...]` requirement
when the cluster has other architectures. Eligibility asks, for every inventory node, whether
one pod of the workload — with the placement merged into its affinity — would pass the
scheduler's filters on an empty node; when none would, the workload is `unschedulable` and the
message is the one kube-scheduler would write. The question is put to one node per class of
nodes the pod's filters cannot tell apart (`nodeclasses`), and the expanded answer (eligible
names, rejections, message) is shared by every workload whose pods ask the same, so a check
costs about workloads + nodes, not workloads × nodes. Afterwards the engine applies the settings
(severity overrides, ignore entries) and the `archfit.dev/ignore` annotation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from archfit.model.affinity import merge_required
from archfit.model.check import ImageUse, WorkloadVerdict
from archfit.model.finding import Finding
from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.model.node import ARCH_LABEL, Node
from archfit.model.placement import Placement
from archfit.model.pod import PodTemplate, PreferredSchedulingTerm
from archfit.model.resources import pod_requests
from archfit.model.selectors import NodeSelector, NodeSelectorRequirement, Toleration
from archfit.model.workload import Workload
from archfit.policy.framework import (
    InventoryIndex,
    Rule,
    RuleContext,
    StorageIndex,
    join_names,
)
from archfit.policy.images import ImagePlatforms
from archfit.policy.nodeclasses import Outcome, referenced_keys
from archfit.policy.registry import ELIGIBILITY_RULE, UNSCHEDULABLE, build_rules
from archfit.policy.settings import Settings
from archfit.scheduling.nodefilter import LonePodFilter, fit_error

__all__ = ["IGNORE_ANNOTATION", "Engine"]

IGNORE_ANNOTATION = "archfit.dev/ignore"
_IGNORE_ALL = frozenset({"true", "all", "*", "yes"})
_DS_PIN_REASON = "node(s) didn't satisfy plugin(s) [NodeAffinity]"


class Engine:
    """Evaluates workloads against one inventory with one set of settings."""

    def __init__(
        self,
        settings: Settings,
        images: ImagePlatforms,
        nodes: Sequence[Node] = (),
        *,
        inventory: bool = True,
        storage: StorageIndex | None = None,
        rules: Sequence[Rule] | None = None,
    ) -> None:
        self.settings = settings
        self.nodes = tuple(nodes)
        self.inventory = inventory and bool(self.nodes)
        self.storage = storage or StorageIndex()
        self.rules = tuple(build_rules(settings) if rules is None else rules)
        self._images = images
        self._cache: dict[ImageRef, ImageInfo] = {}
        self._index = InventoryIndex(self.nodes, settings)
        self._classes = self._index.classes
        self._filter_phase = LonePodFilter()
        self._verdicts: dict[object, Outcome] = {}
        self._outcomes: dict[object, Outcome] = {}
        self._no_arch: Mapping[str, tuple[str, ...]] | None = None

    def image_info(self, ref: ImageRef) -> ImageInfo:
        info = self._cache.get(ref)
        if info is None:
            info = self._images.lookup(ref) or ImageInfo.unresolved(ref)
            self._cache[ref] = info
        return info

    def images_of(self, workload: Workload) -> tuple[ImageUse, ...]:
        return tuple(
            ImageUse(
                c.name,
                c.kind,
                c.image,
                self.image_info(c.image_ref) if c.image_ref is not None else None,
            )
            for c in workload.template.all_containers
        )

    def evaluate(self, workload: Workload) -> WorkloadVerdict:
        images = self.images_of(workload)
        ctx = RuleContext(
            workload,
            images,
            self.nodes,
            self.settings,
            inventory=self.inventory,
            storage=self.storage,
            index=self._index,
        )
        findings: list[Finding] = []
        allowed: frozenset[str] | None = None
        required: list[NodeSelectorRequirement] = []
        skipped = _ignored_rules(workload, self.rules)
        for rule in self.rules:
            if rule.phase != "constrain" or rule.name in skipped:
                continue
            result = rule.evaluate(ctx)
            findings.extend(result.findings)
            required.extend(r for r in result.required if r not in required)
            if result.architectures is not None:
                allowed = (
                    result.architectures if allowed is None else allowed & result.architectures
                )
        if allowed and not allowed >= ctx.cluster_architectures:
            required.insert(0, NodeSelectorRequirement(ARCH_LABEL, "In", tuple(sorted(allowed))))
        preferred: list[PreferredSchedulingTerm] = []
        late = ctx.with_placement(required, allowed)
        for rule in self.rules:
            if rule.phase != "prefer" or rule.name in skipped:
                continue
            result = rule.evaluate(late)
            findings.extend(result.findings)
            preferred.extend(p for p in result.preferred if p not in preferred)
        placement = Placement(allowed, tuple(required), tuple(preferred))
        eligible, rejections, more = self._eligibility(ctx, placement)
        findings.extend(more)
        findings, ignored = self._filter(workload, images, findings)
        return WorkloadVerdict(
            workload=workload,
            images=images,
            placement=placement,
            eligible_nodes=eligible,
            rejections=rejections,
            findings=tuple(findings),
            ignored=ignored,
        )

    # --- eligibility -----------------------------------------------------------------------

    def _eligibility(
        self, ctx: RuleContext, placement: Placement
    ) -> tuple[tuple[str, ...] | None, Mapping[str, tuple[str, ...]], list[Finding]]:
        if not self.inventory:
            return None, {}, []
        if placement.allowed_architectures is not None and not placement.allowed_architectures:
            # No architecture is left; the rule that emptied the set has said why.
            if self._no_arch is None:
                reason = ("no architecture runs all of the pod's images",)
                self._no_arch = MappingProxyType({n.name: reason for n in self.nodes})
            return (), self._no_arch, []
        template = ctx.workload.template
        affinity = template.node_affinity
        merged = merge_required(affinity.required if affinity else None, placement.required)
        outcome = self._outcome(template, merged, ctx.tolerations)
        rejections = outcome.rejections
        findings = []
        if ctx.is_daemonset:
            findings.extend(self._daemonset_pending(ctx, rejections))
        if not outcome.eligible:
            message = outcome.message
            findings.append(
                ctx.finding(
                    ELIGIBILITY_RULE,
                    UNSCHEDULABLE,
                    "error",
                    f"no node of the inventory can take its pods; kube-scheduler would say: "
                    f"{message}",
                    _unschedulable_hint(outcome.reasons),
                    scheduler_message=message,
                    nodes=outcome.details,
                )
            )
        return outcome.eligible, rejections, findings

    def _outcome(
        self,
        template: PodTemplate,
        required: NodeSelector | None,
        tolerations: tuple[Toleration, ...],
    ) -> Outcome:
        """The filters' verdict on every node for one pod: each class of nodes the pod cannot
        tell apart is asked once, and the answer is shared by every pod asking the same."""
        requests = pod_requests(template)
        signature = (
            required,
            tuple(template.node_selector.items()),
            template.node_name,
            tolerations,
            tuple(sorted(requests.items())),
        )
        known = self._verdicts.get(signature)
        if known is None:
            keys, by_name = referenced_keys(
                template.node_selector, required, node_name=template.node_name
            )
            partition = self._classes.partition(keys, by_name)
            phase = self._filter_phase
            pod = phase.pod(template, required=required, tolerations=tolerations)
            per_class = tuple(phase.reasons(pod, c.representative) for c in partition.classes)
            outcome_key = (id(partition), per_class)
            known = self._outcomes.get(outcome_key)
            if known is None:
                known = self._outcomes[outcome_key] = Outcome.expand(
                    self._classes.names, partition, per_class
                )
            self._verdicts[signature] = known
        return known

    def _daemonset_pending(
        self, ctx: RuleContext, rejections: Mapping[str, tuple[str, ...]]
    ) -> list[Finding]:
        """DaemonSet pods the controller creates (selector and taints pass) that cannot fit.

        The controller pins each pod to its node, so every other node reports the generic
        NodeAffinity reason, as in the FailedScheduling events of such pods.
        """
        pending = {
            name: reasons
            for name, reasons in rejections.items()
            if all(r.startswith(("Insufficient ", "Too many pods")) for r in reasons)
        }
        if not pending or len(pending) == len(rejections) == len(self.nodes):
            return []
        first = sorted(pending)[0]
        per_node: dict[str, tuple[str, ...]] = dict.fromkeys(
            (n.name for n in self.nodes), (_DS_PIN_REASON,)
        )
        per_node[first] = pending[first]
        message = fit_error(len(self.nodes), per_node)
        return [
            ctx.finding(
                ELIGIBILITY_RULE,
                UNSCHEDULABLE,
                "error",
                f"its pods on {join_names(sorted(pending))} would stay Pending; for {first} "
                f"kube-scheduler would say: {message}",
                "lower the pod's requests, or keep the DaemonSet off those nodes",
                scheduler_message=message,
                nodes={name: list(r) for name, r in pending.items()},
            )
        ]

    # --- settings and annotations ----------------------------------------------------------

    def _filter(
        self, workload: Workload, images: Sequence[ImageUse], findings: list[Finding]
    ) -> tuple[list[Finding], bool]:
        ignored_ids = _ignore_annotation(workload)
        if ignored_ids & _IGNORE_ALL:
            return [], True
        refs = [str(u.info.ref) for u in images if u.info is not None]
        out = []
        for found in findings:
            finding = found
            if finding.id in ignored_ids or finding.rule in ignored_ids:
                continue
            if finding.rule in self.settings.rules.disabled:
                continue
            if any(e.applies(finding.id, workload.key, refs) for e in self.settings.ignore):
                continue
            severity = self.settings.rules.severity.get(finding.id)
            if severity is not None and severity != finding.severity:
                finding = dataclasses.replace(finding, severity=severity)
            out.append(finding)
        return out, False


def _ignore_annotation(workload: Workload) -> frozenset[str]:
    value = workload.annotations.get(IGNORE_ANNOTATION)
    if value is None:
        value = workload.template.annotations.get(IGNORE_ANNOTATION)
    if value is None:
        return frozenset()
    return frozenset(p.strip() for p in value.split(",") if p.strip())


def _ignored_rules(workload: Workload, rules: Sequence[Rule]) -> frozenset[str]:
    """Rules the `archfit.dev/ignore` annotation turns off for this workload, named by rule or
    by one of their finding ids: their placement is dropped along with their findings (ignoring
    `too-large-for-pi` means "this one may run on a Pi")."""
    named = _ignore_annotation(workload)
    return frozenset(
        rule.name for rule in rules if rule.name in named or named & set(rule.finding_ids)
    )


def _unschedulable_hint(reasons: frozenset[str]) -> str:
    if any(r.startswith("Insufficient") for r in reasons):
        return "lower the pod's requests, or add a node large enough for it"
    if any("untolerated taint" in r for r in reasons):
        return "add a toleration for the taint, or relax the node selection"
    return "relax the node selection so that at least one node matches"


def _naive_eligibility(
    nodes: Sequence[Node],
    template: PodTemplate,
    required: NodeSelector | None,
    tolerations: Sequence[Toleration],
) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]], str]:
    """Every node asked on its own: the reference the class-based `Engine._outcome` must
    equal (eligible nodes, rejections and FailedScheduling message)."""
    phase = LonePodFilter()
    pod = phase.pod(template, required=required, tolerations=tolerations)
    eligible: list[str] = []
    rejections: dict[str, tuple[str, ...]] = {}
    for node in nodes:
        reasons = phase.reasons(pod, node)
        if reasons:
            rejections[node.name] = reasons
        else:
            eligible.append(node.name)
    return tuple(eligible), rejections, fit_error(len(nodes), rejections)
