"""Controllers turn workloads into pods, as their kube-controller-manager controllers do.

- Deployment → ReplicaSet `<name>-<hash>` → `replicas` pods `<rs>-<suffix>` labelled
  `pod-template-hash`; ReplicaSet → pods; StatefulSet → `<name>-0 … <name>-(n-1)`, each with
  its claims `<template>-<name>-<i>`; Job → `min(parallelism, completions)` pods; CronJob → one
  Job run; bare Pods → themselves.
- DaemonSet → one pod per node the controller would choose (`NodeShouldRunDaemonPod`): the
  template's `nodeName`, its node selector and required node affinity, and no untolerated
  NoSchedule/NoExecute taint once the automatic tolerations are added. Resources and ports are
  not checked: such pods are created and stay Pending. Each pod's required node affinity is
  replaced by `matchFields metadata.name In [<node>]`.

Generated names are deterministic (a hash of the workload and index); only ownership matters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from archfit.model.daemonset import DAEMONSET_TOLERATIONS, daemonset_tolerations
from archfit.model.node import Node
from archfit.model.pod import Affinity, NodeAffinity, PodTemplate, Volume
from archfit.model.selectors import (
    LabelSelector,
    LabelSelectorRequirement,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
)
from archfit.model.workload import PersistentVolumeClaim, Workload
from archfit.scheduling.framework.helpers import (
    DO_NOT_SCHEDULE_EFFECTS,
    required_node_affinity_matches,
    untolerated_taint,
)

__all__ = ["DAEMONSET_TOLERATIONS", "PodSpec", "daemon_node_names", "expand"]

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(frozen=True, slots=True)
class PodSpec:
    """A pod a controller would create, before admission. `node` is set for pods that are
    already bound (`spec.nodeName` in the input); `claims` are PVCs the controller creates."""

    namespace: str
    name: str
    template: PodTemplate
    owner: str | None
    owner_selector: LabelSelector | None = None
    workload: Workload | None = None
    node: str | None = None
    claims: tuple[PersistentVolumeClaim, ...] = ()
    daemon_node: str | None = None


def _safe(text: str, length: int) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:length])


def _with_labels(template: PodTemplate, extra: dict[str, str]) -> PodTemplate:
    return replace(template, labels={**template.labels, **extra})


def _and_hash(selector: LabelSelector | None, key: str, value: str) -> LabelSelector:
    base = selector or LabelSelector()
    return LabelSelector(
        dict(base.match_labels),
        (*base.match_expressions, LabelSelectorRequirement(key, "In", (value,))),
    )


def daemonset_template(template: PodTemplate) -> PodTemplate:
    """The template plus the tolerations the DaemonSet controller adds."""
    return replace(template, tolerations=daemonset_tolerations(template))


def daemon_node_names(workload: Workload, nodes: Iterable[Node]) -> list[str]:
    """Nodes the DaemonSet controller creates a pod for, in the given order."""
    template = daemonset_template(workload.template)
    out = []
    for node in nodes:
        if template.node_name and template.node_name != node.name:
            continue
        if not required_node_affinity_matches(template, node.name, node.labels):
            continue
        if untolerated_taint(node.taints, template.tolerations, DO_NOT_SCHEDULE_EFFECTS):
            continue
        out.append(node.name)
    return out


def pin_to_node(template: PodTemplate, node: str) -> PodTemplate:
    """`ReplaceDaemonSetPodNodeNameNodeAffinity`: one required term on `metadata.name`."""
    term = NodeSelectorTerm(match_fields=(NodeSelectorRequirement("metadata.name", "In", (node,)),))
    affinity = template.affinity or Affinity()
    node_affinity = affinity.node_affinity or NodeAffinity()
    node_affinity = replace(node_affinity, required=NodeSelector((term,)))
    return replace(template, affinity=replace(affinity, node_affinity=node_affinity))


def expand(workload: Workload, nodes: Sequence[Node] = ()) -> list[PodSpec]:
    """The pods `workload`'s controller creates (a bare Pod is itself)."""
    kind, ns, name = workload.kind, workload.namespace, workload.name
    template = workload.template
    replicas = workload.replicas if workload.replicas is not None else 1
    if kind == "Pod":
        return [PodSpec(ns, name, template, workload.owner, None, workload, template.node_name)]
    if kind == "Deployment":
        rs_hash = _safe(f"{ns}/{name}/{template!r}", 10)
        rs = f"{name}-{rs_hash}"
        labeled = _with_labels(template, {"pod-template-hash": rs_hash})
        selector = _and_hash(workload.selector, "pod-template-hash", rs_hash)
        return [
            PodSpec(
                ns, f"{rs}-{_safe(f'{rs}/{i}', 5)}", labeled, f"ReplicaSet/{rs}", selector, workload
            )
            for i in range(replicas)
        ]
    if kind == "ReplicaSet":
        return [
            PodSpec(
                ns,
                f"{name}-{_safe(f'{name}/{i}', 5)}",
                template,
                f"ReplicaSet/{name}",
                workload.selector,
                workload,
            )
            for i in range(replicas)
        ]
    if kind == "StatefulSet":
        out = []
        for i in range(replicas):
            pod_name = f"{name}-{i}"
            labeled = _with_labels(
                template,
                {
                    "statefulset.kubernetes.io/pod-name": pod_name,
                    "apps.kubernetes.io/pod-index": str(i),
                },
            )
            claims = tuple(
                replace(vct, namespace=ns, name=f"{vct.name}-{pod_name}")
                for vct in workload.volume_claim_templates
            )
            vct_names = {vct.name for vct in workload.volume_claim_templates}
            volumes = tuple(v for v in labeled.volumes if v.name not in vct_names) + tuple(
                Volume(vct.name, "persistentVolumeClaim", claim_name=f"{vct.name}-{pod_name}")
                for vct in workload.volume_claim_templates
            )
            labeled = replace(labeled, volumes=volumes)
            out.append(
                PodSpec(
                    ns,
                    pod_name,
                    labeled,
                    f"StatefulSet/{name}",
                    workload.selector,
                    workload,
                    claims=claims,
                )
            )
        return out
    if kind == "Job":
        return _job_pods(workload, name, template, replicas)
    if kind == "CronJob":
        # One run of the schedule; upstream names it after the scheduled minute.
        job = f"{name}-29000000"
        return _job_pods(workload, job, template, replicas)
    if kind == "DaemonSet":
        admitted = daemonset_template(template)
        return [
            PodSpec(
                ns,
                f"{name}-{_safe(f'{name}/{node}', 5)}",
                pin_to_node(admitted, node),
                f"DaemonSet/{name}",
                workload.selector,
                workload,
                daemon_node=node,
            )
            for node in daemon_node_names(workload, nodes)
        ]
    return []


def _job_pods(workload: Workload, job: str, template: PodTemplate, count: int) -> list[PodSpec]:
    labeled = _with_labels(template, {"batch.kubernetes.io/job-name": job, "job-name": job})
    return [
        PodSpec(
            workload.namespace,
            f"{job}-{_safe(f'{job}/{i}', 5)}",
            labeled,
            f"Job/{job}",
            None,
            workload,
        )
        for i in range(count)
    ]
