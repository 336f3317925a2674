"""What every policy rule sees and returns, and the helpers they share.

A rule is one module in `archfit.policy.rules` with a `name`, the finding ids it may emit, an
extension point (`phase`) and a constructor that takes the validated `Settings`:

- `constrain` rules run first and may restrict architectures, add required node-selector
  requirements and report findings;
- `prefer` rules run afterwards and see the combined requirements (so a preference never points
  at nodes the requirements already exclude); they add preferred terms and findings.

Rules never import each other; what two rules need lives here or in `archfit.model`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from archfit.errors import InvalidValue
from archfit.model.affinity import admits, merge_required
from archfit.model.check import ImageUse
from archfit.model.daemonset import daemonset_tolerations
from archfit.model.finding import Finding, Severity
from archfit.model.imageinfo import ImageInfo
from archfit.model.node import ARCH_LABEL, Node
from archfit.model.platform import NodeCapabilities, Platform
from archfit.model.pod import PreferredSchedulingTerm
from archfit.model.resources import pod_requests
from archfit.model.selectors import NodeSelector, NodeSelectorRequirement, Toleration
from archfit.model.workload import (
    PersistentVolumeClaim,
    StorageClass,
    Workload,
)
from archfit.policy.nodeclasses import NodeClasses, referenced_keys
from archfit.policy.settings import Settings
from archfit.scheduling.framework.helpers import DO_NOT_SCHEDULE_EFFECTS, untolerated_taint

__all__ = [
    "ARCH_ANNOTATION",
    "CANDIDATE_ARCHITECTURES",
    "InventoryIndex",
    "Phase",
    "Rule",
    "RuleContext",
    "RuleResult",
    "StorageIndex",
    "chosen_architectures",
    "declared_architectures",
    "image_architectures",
    "join_names",
    "runtime_architectures",
    "user_architectures",
]

Phase = Literal["constrain", "prefer"]
CANDIDATE_ARCHITECTURES = ("amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64")


@dataclass(frozen=True, slots=True)
class RuleResult:
    """What one rule decided. `architectures` (when not None) restricts the architectures the
    workload may use; the engine intersects the restrictions of all rules."""

    findings: tuple[Finding, ...] = ()
    required: tuple[NodeSelectorRequirement, ...] = ()
    preferred: tuple[PreferredSchedulingTerm, ...] = ()
    architectures: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class StorageIndex:
    """PVCs and StorageClasses read with the workloads, to tell which class a volume uses."""

    claims: Mapping[tuple[str, str], PersistentVolumeClaim] = field(default_factory=dict)
    classes: Mapping[str, StorageClass] = field(default_factory=dict)

    @classmethod
    def of(
        cls, claims: Iterable[PersistentVolumeClaim], classes: Iterable[StorageClass]
    ) -> StorageIndex:
        return cls({(c.namespace, c.name): c for c in claims}, {c.name: c for c in classes})

    @property
    def default_class(self) -> str | None:
        defaults = sorted(name for name, sc in self.classes.items() if sc.is_default)
        return defaults[0] if defaults else None

    def _class_of(self, claim: PersistentVolumeClaim) -> str | None:
        # A claim without storageClassName gets the default class (DefaultStorageClass
        # admission); an explicit "" means "no class" (static binding).
        if claim.storage_class is None:
            return self.default_class
        return claim.storage_class or None

    def volume_classes(self, workload: Workload) -> list[tuple[str, str | None]]:
        """(volume or claim name, storage class) for every persistent volume of the workload;
        the class is None when the claim is not among the inputs or has no class."""
        out: list[tuple[str, str | None]] = []
        for volume in workload.template.volumes:
            if volume.source == "persistentVolumeClaim" and volume.claim_name:
                claim = self.claims.get((workload.namespace, volume.claim_name))
                out.append((volume.claim_name, self._class_of(claim) if claim else None))
            elif volume.source == "ephemeral":
                out.append((volume.name, volume.storage_class or self.default_class))
        for template in workload.volume_claim_templates:
            out.append((template.name, self._class_of(template)))
        return out


class InventoryIndex:
    """Views of one inventory that the contexts of every workload share: the Pis, the
    architectures, the node classes, and which nodes admit a given pod (see `admitted_nodes`)."""

    def __init__(self, nodes: Sequence[Node], settings: Settings) -> None:
        self.nodes = tuple(nodes)
        self.settings = settings
        self.classes = NodeClasses(self.nodes)
        self._pis: tuple[Node, ...] | None = None
        self._archs: frozenset[str] | None = None
        self.admitted: dict[object, tuple[Node, ...]] = {}
        self.admitted_pis: dict[object, tuple[Node, ...]] = {}
        self.missing: dict[object, tuple[Node, ...]] = {}

    @property
    def pis(self) -> tuple[Node, ...]:
        if self._pis is None:
            pi = self.settings.nodes.raspberry_pi
            self._pis = tuple(n for n in self.nodes if pi.matches(n.labels))
        return self._pis

    @property
    def architectures(self) -> frozenset[str]:
        if self._archs is None:
            self._archs = frozenset(n.arch for n in self.nodes)
        return self._archs


class RuleContext:
    """One workload with everything a rule may look at. Cheap views are computed once;
    views of the inventory alone come from an `InventoryIndex` shared between workloads."""

    def __init__(
        self,
        workload: Workload,
        images: Sequence[ImageUse],
        nodes: Sequence[Node],
        settings: Settings,
        *,
        inventory: bool,
        storage: StorageIndex | None = None,
        required: Sequence[NodeSelectorRequirement] = (),
        allowed_architectures: frozenset[str] | None = None,
        index: InventoryIndex | None = None,
    ) -> None:
        self.workload = workload
        self.images = tuple(images)
        self.nodes = tuple(nodes)
        self.settings = settings
        if index is None or index.nodes is not self.nodes or index.settings is not settings:
            index = InventoryIndex(self.nodes, settings)
        self.index = index
        self.inventory = inventory
        self.storage = storage or StorageIndex()
        self.required = tuple(required)
        self.allowed_architectures = allowed_architectures
        self._own: tuple[Node, ...] | None = None
        self._extended_cache: tuple[str, ...] | None = None
        self._archs: frozenset[str] | None = None
        self._archs_done = False

    def with_placement(
        self, required: Sequence[NodeSelectorRequirement], allowed: frozenset[str] | None
    ) -> RuleContext:
        """The same context as `prefer` rules see it: after the constraints were combined."""
        ctx = RuleContext(
            self.workload,
            self.images,
            self.nodes,
            self.settings,
            inventory=self.inventory,
            storage=self.storage,
            required=required,
            allowed_architectures=allowed,
            index=self.index,
        )
        ctx._own = self._own
        return ctx

    @property
    def image_architectures(self) -> frozenset[str] | None:
        """`runtime_architectures` of this workload's images, computed once."""
        if not self._archs_done:
            self._archs = runtime_architectures(self.images)
            self._archs_done = True
        return self._archs

    @property
    def is_daemonset(self) -> bool:
        return self.workload.kind == "DaemonSet"

    @property
    def tolerations(self) -> tuple[Toleration, ...]:
        template = self.workload.template
        return daemonset_tolerations(template) if self.is_daemonset else template.tolerations

    def admitted(self, node: Node, extra: Sequence[NodeSelectorRequirement] = ()) -> bool:
        """Whether the workload's own selectors, affinity and tolerations (plus `extra`
        requirements) let its pods onto `node`; resources are not considered."""
        template = self.workload.template
        affinity = template.node_affinity
        own = affinity.required if affinity else None
        required = merge_required(own, extra) if extra else own
        if template.node_name and template.node_name != node.name:
            return False
        if not admits(node.name, node.labels, template.node_selector, required):
            return False
        if untolerated_taint(node.taints, self.tolerations, DO_NOT_SCHEDULE_EFFECTS) is not None:
            return False
        # An extended resource (a GPU) the node does not advertise keeps the pods off it just as
        # surely as a selector; cpu and memory are judged by the size rule and eligibility.
        for name in self._extended:
            if node.allocatable.get(name) is None or node.allocatable[name].value <= 0:
                return False
        return True

    @property
    def _extended(self) -> tuple[str, ...]:
        if self._extended_cache is None:
            requests = pod_requests(self.workload.template)
            self._extended_cache = tuple(
                sorted(
                    name
                    for name, value in requests.items()
                    if value > 0 and "/" in name and not name.startswith("hugepages-")
                )
            )
        return self._extended_cache

    def admits_labels(self, labels: Mapping[str, str]) -> bool:
        """Without an inventory: whether the workload's own selectors admit a node with these
        labels (taints unknown)."""
        template = self.workload.template
        affinity = template.node_affinity
        return admits("", labels, template.node_selector, affinity.required if affinity else None)

    @property
    def pi_labels(self) -> dict[str, str]:
        """Labels of a typical Pi, for reasoning without an inventory."""
        pi = self.settings.nodes.raspberry_pi
        return {pi.key: pi.value or "", ARCH_LABEL: "arm64"}

    def _admission_key(
        self, extra: Sequence[NodeSelectorRequirement]
    ) -> tuple[object, NodeSelector | None]:
        """What `admitted` reads from the workload (the cache key), and the selector terms."""
        template = self.workload.template
        affinity = template.node_affinity
        own = affinity.required if affinity else None
        required = merge_required(own, extra) if extra else own
        key = (
            template.node_name,
            tuple(template.node_selector.items()),
            required,
            self.tolerations,
            self._extended,
        )
        return key, required

    def admitted_nodes(self, extra: Sequence[NodeSelectorRequirement] = ()) -> tuple[Node, ...]:
        """The inventory nodes `admitted` (with `extra`), in inventory order. Each class of
        nodes the pod cannot tell apart is asked once; the answer is shared with every other
        workload whose pods have the same selectors, tolerations and extended resources."""
        key, required = self._admission_key(extra)
        found = self.index.admitted.get(key)
        if found is None:
            template = self.workload.template
            keys, by_name = referenced_keys(
                template.node_selector, required, node_name=template.node_name
            )
            partition = self.index.classes.partition(keys, by_name)
            ok = [self.admitted(c.representative, extra) for c in partition.classes]
            found = tuple(n for n, c in zip(self.nodes, partition.class_of, strict=True) if ok[c])
            self.index.admitted[key] = found
        return found

    @property
    def own_nodes(self) -> tuple[Node, ...]:
        """Inventory nodes where nothing in the workload itself keeps its pods away."""
        if self._own is None:
            self._own = self.admitted_nodes()
        return self._own

    @property
    def own_pis(self) -> tuple[Node, ...]:
        """The Raspberry Pis among `own_nodes`."""
        key, _ = self._admission_key(())
        found = self.index.admitted_pis.get(key)
        if found is None:
            found = self.index.admitted_pis[key] = tuple(n for n in self.own_nodes if self.is_pi(n))
        return found

    def own_nodes_missing(self, uses: Sequence[ImageUse]) -> tuple[Node, ...]:
        """The `own_nodes` that cannot run every image of `uses` (one of its linux platforms);
        an image without info runs nowhere. A node's answer depends only on its platform and
        capabilities, so each pair is asked once; the result is shared between workloads."""
        platforms = tuple(None if u.info is None else u.info.linux_platforms for u in uses)
        key = (self._admission_key(())[0], platforms)
        found = self.index.missing.get(key)
        if found is None:
            runs: dict[tuple[Platform, NodeCapabilities], bool] = {}
            missing = []
            for node in self.own_nodes:
                pair = (node.platform, node.capabilities)
                ok = runs.get(pair)
                if ok is None:
                    ok = runs[pair] = all(
                        ps is not None and any(node.runs(p) for p in ps) for ps in platforms
                    )
                if not ok:
                    missing.append(node)
            found = self.index.missing[key] = tuple(missing)
        return found

    def is_pi(self, node: Node) -> bool:
        return self.settings.nodes.raspberry_pi.matches(node.labels)

    @property
    def pis(self) -> tuple[Node, ...]:
        return self.index.pis

    @property
    def cluster_architectures(self) -> frozenset[str]:
        """Node architectures of the inventory, or the configured ones without an inventory."""
        if self.inventory:
            return self.index.architectures
        return frozenset(self.settings.nodes.architectures)

    def annotation(self, key: str) -> str | None:
        """An annotation of the workload, or of its pod template."""
        value = self.workload.annotations.get(key)
        if value is None:
            value = self.workload.template.annotations.get(key)
        return value

    def finding(
        self,
        rule: str,
        finding_id: str,
        severity: Severity,
        message: str,
        hint: str,
        **details: Any,
    ) -> Finding:
        return Finding(
            id=finding_id,
            severity=severity,
            message=message,
            subject=self.workload.key,
            source=self.workload.source,
            hint=hint,
            rule=rule,
            details=details,
        )


class Rule(Protocol):
    """A policy rule; implementations are constructed with the validated `Settings`."""

    name: ClassVar[str]
    finding_ids: ClassVar[tuple[str, ...]]
    phase: ClassVar[Phase]

    def evaluate(self, ctx: RuleContext) -> RuleResult: ...


# --- shared helpers ----------------------------------------------------------------------------


_CANDIDATE_NODES = tuple((arch, Platform.of("linux", arch)) for arch in CANDIDATE_ARCHITECTURES)
_DEFAULT_CAPABILITIES = NodeCapabilities()


@functools.lru_cache(maxsize=4096)
def _architectures_of(platforms: tuple[Platform, ...]) -> frozenset[str]:
    return frozenset(
        arch
        for arch, node in _CANDIDATE_NODES
        if any(_DEFAULT_CAPABILITIES.runs(node, p) for p in platforms)
    )


def image_architectures(info: ImageInfo) -> frozenset[str]:
    """Values of `kubernetes.io/arch` whose nodes (default capabilities) run this image."""
    return _architectures_of(info.linux_platforms)


def runtime_architectures(images: Iterable[ImageUse]) -> frozenset[str] | None:
    """Architectures every resolved image of the init and app containers runs on; None when
    no such image is resolved (nothing is known)."""
    allowed: frozenset[str] | None = None
    for use in images:
        if use.kind == "ephemeral" or use.info is None or use.info.status != "resolved":
            continue
        archs = image_architectures(use.info)
        allowed = archs if allowed is None else allowed & archs
    return allowed


_ARCH_KEYS = (ARCH_LABEL, "beta.kubernetes.io/arch")


def user_architectures(workload: Workload, candidates: Iterable[str]) -> frozenset[str] | None:
    """The architectures the workload's own nodeSelector and required affinity admit, judged on
    the architecture labels alone; None when the user expressed no architecture at all."""
    template = workload.template
    candidates = frozenset(candidates)
    constrained = False
    allowed = set(candidates)
    for key in _ARCH_KEYS:
        if key in template.node_selector:
            constrained = True
            allowed &= {template.node_selector[key]}
    affinity = template.node_affinity
    if affinity and affinity.required and affinity.required.terms:
        terms = [t for t in affinity.required.terms if not t.empty]
        per_term: set[str] = set()
        any_arch = False
        for term in terms:
            exprs = [e for e in term.match_expressions if e.key in _ARCH_KEYS]
            if exprs:
                any_arch = True
            per_term |= {
                arch
                for arch in candidates
                if all(e.matches({e.key: arch}) for e in exprs)  # labels of an arch-only node
            }
        if any_arch:
            constrained = True
            allowed &= per_term
    return frozenset(allowed) if constrained else None


ARCH_ANNOTATION = "archfit.dev/arch"


def declared_architectures(ctx: RuleContext) -> frozenset[str] | None:
    """The architectures of the `archfit.dev/arch` annotation (None when absent); raises
    `InvalidValue` when an entry is not a platform."""
    text = ctx.annotation(ARCH_ANNOTATION)
    if text is None:
        return None
    return frozenset(
        Platform.parse(part.strip()).architecture for part in text.split(",") if part.strip()
    )


def chosen_architectures(ctx: RuleContext) -> frozenset[str] | None:
    """What the user chose: selectors and affinity, narrowed by the annotation; None if nothing.
    An unparsable annotation counts as no choice (the user-choice rule reports it)."""
    chosen = user_architectures(ctx.workload, CANDIDATE_ARCHITECTURES)
    try:
        declared = declared_architectures(ctx)
    except InvalidValue:
        declared = None
    if declared is not None:
        chosen = declared if chosen is None else chosen & declared
    return chosen


def join_names(names: Iterable[str], limit: int = 6) -> str:
    """`a, b and c`; long lists end with `and N more`."""
    items = list(names)
    if len(items) > limit:
        items = [*items[:limit], f"{len(items) - limit} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
