"""`archfit label`: the node labels the policy relies on, planned, shown, then applied.

Which labels (each node gets only those that apply; see docs/live.md):
- the policy's Raspberry Pi label (default `node.kubernetes.io/instance-type=raspberry-pi`) on
  nodes the inventory calls Pis (its labels or `profile: raspberry-pi`), or that carry it live;
- the policy's storage-exclusion label (default the strategy's `kubernetes.io/storage=none`) on
  the Pis and on nodes the inventory excludes from storage;
- `archfit.dev/gpu-vendor=<nvidia|amd|intel>` on nodes whose device plugin advertises a GPU
  (live allocatable, else the inventory's);
- with Longhorn (a `driver.longhorn.io` StorageClass, or `longhorn=True`),
  `node.longhorn.io/create-default-disk=true` on every node not excluded from storage.

Ownership: archfit applies with server-side apply as field manager `archfit`. A label another
manager owns with another value is a conflict (shown in the plan; `--force-conflicts` takes it
over). A label archfit applied earlier and no longer plans is removed by the server when the
node is applied again — labels archfit never applied are never removed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from archfit.kube.client import KubeApi
from archfit.kube.config import load_target
from archfit.kube.errors import Conflict
from archfit.kube.sanitize import field_owners
from archfit.model.k8s import node_from_k8s
from archfit.model.node import Node
from archfit.model.node_labels import (
    ARCHFIT_GPU_VENDOR_LABEL,
    LONGHORN_DEFAULT_DISK_LABEL,
    LabelIssue,
    lint_self_labels,
)
from archfit.policy import Settings

__all__ = [
    "FIELD_MANAGER",
    "LabelChange",
    "LabelInputs",
    "LabelPlan",
    "NodePlan",
    "apply_label_plan",
    "desired_labels",
    "kubectl_commands",
    "plan_labels",
    "read_label_inputs",
    "talos_patch",
]

FIELD_MANAGER = "archfit"
LONGHORN_PROVISIONER = "driver.longhorn.io"
Action = Literal["add", "change", "keep", "remove"]


@dataclass(frozen=True, slots=True)
class LabelChange:
    key: str
    action: Action
    value: str | None  # desired value (None for remove)
    current: str | None
    owners: tuple[str, ...] = ()  # field managers owning the label now
    why: str = ""

    @property
    def conflicts_with(self) -> tuple[str, ...]:
        """Managers other than archfit that own a label archfit would change."""
        if self.action != "change":
            return ()
        return tuple(o for o in self.owners if o != FIELD_MANAGER)


@dataclass(frozen=True, slots=True)
class NodePlan:
    node: str
    changes: tuple[LabelChange, ...]
    desired: Mapping[str, str]
    owned: frozenset[str] = frozenset()  # labels archfit owns now

    @property
    def pending(self) -> tuple[LabelChange, ...]:
        return tuple(c for c in self.changes if c.action != "keep")

    def apply_body(self) -> dict[str, str]:
        """What to apply: every change, plus desired labels archfit already owns (omitting
        those would make the server remove them)."""
        return {
            c.key: c.value
            for c in self.changes
            if c.value is not None and (c.action in {"add", "change"} or c.key in self.owned)
        }


@dataclass(frozen=True, slots=True)
class LabelPlan:
    nodes: tuple[NodePlan, ...]
    issues: tuple[LabelIssue, ...] = ()
    notes: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # inventory nodes the cluster does not have

    @property
    def pending(self) -> tuple[NodePlan, ...]:
        return tuple(n for n in self.nodes if n.pending)


def _is_pi(node: Node, settings: Settings) -> bool:
    profile = node.profile or ""
    return profile.startswith("raspberry-pi") or settings.nodes.raspberry_pi.matches(node.labels)


def _label_value(value: str | None) -> str:
    return value if value is not None else "true"


@dataclass
class _Desired:
    labels: dict[str, str] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)

    def set(self, key: str, value: str, why: str) -> None:
        self.labels[key] = value
        self.why[key] = why


def desired_labels(
    live: Sequence[Node],
    inventory: Sequence[Node] | None,
    settings: Settings,
    *,
    longhorn: bool,
) -> tuple[dict[str, _Desired], list[str]]:
    """Node name → the labels archfit wants there (with the reason for each), and notes."""
    notes: list[str] = []
    by_name = {n.name: n for n in inventory or ()}
    pi = settings.nodes.raspberry_pi
    storage = settings.storage.excluded_node_label
    out: dict[str, _Desired] = {}
    for node in live:
        want = _Desired()
        declared = by_name.get(node.name)
        is_pi = _is_pi(declared, settings) if declared is not None else _is_pi(node, settings)
        if is_pi:
            source = "inventory" if declared is not None else "live label"
            want.set(pi.key, _label_value(pi.value), f"Raspberry Pi ({source})")
        excluded = is_pi or (declared is not None and storage.matches(declared.labels))
        if excluded:
            want.set(storage.key, _label_value(storage.value), "no distributed storage here")
        vendors = node.gpu_vendors or (
            declared.gpu_vendors if declared is not None else frozenset()
        )
        if vendors:
            vendor = sorted(vendors)[0]
            if len(vendors) > 1:
                notes.append(f"{node.name} has GPUs of {sorted(vendors)}; labelled {vendor}")
            want.set(ARCHFIT_GPU_VENDOR_LABEL, vendor, "device plugin advertises a GPU")
        if longhorn and not excluded:
            want.set(LONGHORN_DEFAULT_DISK_LABEL, "true", "Longhorn default disk")
        out[node.name] = want
    return out, notes


def plan_labels(
    raw_nodes: Sequence[Mapping[str, Any]],
    *,
    inventory: Sequence[Node] | None = None,
    settings: Settings | None = None,
    storage_classes: Sequence[Mapping[str, Any]] = (),
    longhorn: bool | None = None,
    owners: Mapping[str, Mapping[str, set[str]]] | None = None,
) -> LabelPlan:
    """Compare the labels archfit wants with the live nodes (`raw_nodes` as the API returns
    them; `owners` maps node → label → field managers, from managedFields)."""
    settings = settings or Settings()
    live = [node_from_k8s(obj) for obj in raw_nodes]
    if longhorn is None:
        longhorn = any(sc.get("provisioner") == LONGHORN_PROVISIONER for sc in storage_classes)
    wanted, notes = desired_labels(live, inventory, settings, longhorn=longhorn)
    plans: list[NodePlan] = []
    issues: dict[tuple[str, str], LabelIssue] = {}
    for node, obj in zip(live, raw_nodes, strict=True):
        current = dict((obj.get("metadata") or {}).get("labels") or {})
        node_owners = (owners or {}).get(node.name, {})
        owned = frozenset(k for k, ms in node_owners.items() if FIELD_MANAGER in ms)
        want = wanted[node.name]
        changes: list[LabelChange] = []
        for key, value in sorted(want.labels.items()):
            now = current.get(key)
            action: Action = "keep" if now == value else ("add" if now is None else "change")
            changes.append(
                LabelChange(
                    key, action, value, now, tuple(sorted(node_owners.get(key, ()))), want.why[key]
                )
            )
        for key in sorted(owned - set(want.labels)):
            changes.append(
                LabelChange(
                    key, "remove", None, current.get(key), (FIELD_MANAGER,), "no longer planned"
                )
            )
        for issue in lint_self_labels(want.labels):
            issues.setdefault((issue.key, issue.value), issue)
        plans.append(NodePlan(node.name, tuple(changes), dict(want.labels), owned))
    live_names = {n.name for n in live}
    missing = tuple(sorted(n.name for n in inventory or () if n.name not in live_names))
    return LabelPlan(tuple(plans), tuple(issues.values()), tuple(notes), missing)


def kubectl_commands(plan: LabelPlan) -> list[str]:
    """One `kubectl label` per node with pending changes."""
    out = []
    for node in plan.pending:
        parts = [
            f"{c.key}={c.value}" if c.action != "remove" else f"{c.key}-" for c in node.pending
        ]
        out.append(f"kubectl label node {node.node} --overwrite " + " ".join(parts))
    return out


def talos_patch(node: NodePlan) -> tuple[str, list[str]]:
    """A Talos machine-config patch setting `machine.nodeLabels` for one node, and warnings.

    Labels the kubelet may not self-set are replaced by their self-settable alternative (with a
    comment saying so) or left out, since Talos applies nodeLabels with the kubelet's identity.
    """
    warnings: list[str] = []
    lines = [
        f"# archfit: machine.nodeLabels for node {node.node}",
        f"# apply: talosctl patch machineconfig --nodes <address of {node.node}> "
        f"--patch @{node.node}.yaml",
        "machine:",
        "  nodeLabels:",
    ]
    issues = {i.key: i for i in lint_self_labels(node.desired)}
    body: list[str] = []
    for key, value in sorted(node.desired.items()):
        issue = issues.get(key)
        if issue is None:
            body.append(f"    {key}: {_quote(value)}")
        elif issue.alternative:
            body.append(f"    {issue.alternative}: {_quote(value)}  # instead of {key}")
            warnings.append(
                f"{node.node}: wrote {issue.alternative}={value} instead of {key}={value}; "
                f"point the policy at {issue.alternative} or apply {key} with archfit label --apply"
            )
        else:
            warnings.append(f"{node.node}: left out {key}={value} (kubelet cannot set it)")
    if not body:
        lines[-1] = "  nodeLabels: {}"
    return "\n".join(lines + body) + "\n", warnings


def _quote(value: str) -> str:
    # Values such as "true", "none" or "123" must stay strings in YAML.
    return f'"{value}"'


@dataclass
class LabelInputs:
    nodes: list[dict[str, Any]]
    owners: dict[str, dict[str, set[str]]]
    storage_classes: list[dict[str, Any]]
    context: str = ""


def inventory_label_inputs(nodes: Sequence[Node]) -> LabelInputs:
    """Offline (`label --cluster FILE` without a cluster to talk to): the inventory's nodes as
    the API server would list them, so that the plan, Talos patches and kubectl commands need
    no kubeconfig. Nobody owns their labels yet, and there are no StorageClasses to look at."""
    raw = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node.name, "labels": dict(node.labels)},
            "spec": {"unschedulable": node.unschedulable} if node.unschedulable else {},
            "status": {
                "capacity": {k: str(v) for k, v in node.capacity.items()},
                "allocatable": {k: str(v) for k, v in node.allocatable.items()},
                "nodeInfo": {
                    "architecture": node.platform.architecture,
                    "operatingSystem": node.platform.os,
                },
            },
        }
        for node in nodes
    ]
    return LabelInputs(raw, {}, [], "inventory")


async def read_label_inputs(
    *, kubeconfig: Path | None = None, context: str | None = None
) -> LabelInputs:
    """The live nodes (with their label owners) and StorageClasses."""
    target = load_target(kubeconfig=kubeconfig, context=context)
    async with KubeApi(target) as api:
        nodes = (await api.list_all("nodes")).items
        classes = (await api.list_all("storageclasses")).items
    owners = {str(n["metadata"]["name"]): field_owners(n) for n in nodes}
    for node in nodes:  # the plan needs labels, not the ownership bookkeeping
        node.get("metadata", {}).pop("managedFields", None)
    return LabelInputs(nodes, owners, classes, target.context)


async def apply_label_plan(
    plan: LabelPlan,
    *,
    kubeconfig: Path | None = None,
    context: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    on_applied: Callable[[str], None] | None = None,
) -> list[str]:
    """Apply each node's pending labels in order; stops at the first conflict with another
    field manager (unless `force`), raising `Conflict` that names the node, the labels and
    their owners. Returns the nodes applied."""
    target = load_target(kubeconfig=kubeconfig, context=context)
    done: list[str] = []
    async with KubeApi(target) as api:
        for node in plan.pending:
            try:
                await api.apply_node_labels(
                    node.node, node.apply_body(), force=force, dry_run=dry_run
                )
            except Conflict as err:
                fields = ", ".join(
                    f"{c.field.removeprefix('.metadata.labels.')} (owned by {c.manager})"
                    for c in err.conflicts
                )
                before = f"; applied before: {', '.join(done)}" if done else "; nothing applied"
                stopped = Conflict(
                    f"stopped at node {node.node}: {fields or err.server_message}{before}; "
                    "rerun with --force-conflicts to take these labels over",
                    code=err.code,
                    reason=err.reason,
                    server_message=err.server_message,
                    request=err.request,
                )
                stopped.conflicts = err.conflicts
                raise stopped from None
            done.append(node.node)
            if on_applied is not None:
                on_applied(node.node)
    return done
