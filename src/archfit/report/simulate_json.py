"""The simulation as JSON (`archfit simulate --format json`), documented in docs/simulate.md.

Keys are only ever added. `pods[]` has the shape of the recorded kube-scheduler fixtures:
`namespace`, `name`, `owner` (`Kind/name` of the controlling owner, or null), `node` (null when
unschedulable) and `message` (the FailedScheduling text, or null), `image` when a scheduled
pod's images cannot run on its node (`outcome: would-crash`, `reason` `exec format error` or
`no match for platform in manifest`) or their platforms are unknown (`outcome: unknown`);
with `explain=True` also
`filters` (node → the plugin that rejected it and its reason) and `scores` (node → plugin →
normalised score × weight, plus `total`, as kube-scheduler logs at verbosity 10). Units: cpu in
millicores, memory and ephemeral-storage in bytes.
"""

from __future__ import annotations

from typing import Any

from archfit.scheduling.platforms import ImageOutcome
from archfit.scheduling.results import SimulateReport
from archfit.scheduling.simulate import PodResult
from archfit.scheduling.utilisation import UsageRow, arch_usage, node_usage
from archfit.scheduling.whatif import WhatIf

__all__ = ["REPORT_API_VERSION", "REPORT_KIND", "SCHEMA_VERSION", "simulate_report_json"]

REPORT_API_VERSION = "archfit.dev/v1alpha1"
# Raised when a key changes meaning or goes away (keys are otherwise only added); the
# schema is published in docs/schema/.
SCHEMA_VERSION = 1
REPORT_KIND = "SimulationReport"


def _usage(row: UsageRow) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, usage in row.usage.items():
        percent = usage.percent
        out[name] = {
            "requested": usage.requested,
            "allocatable": usage.allocatable,
            "percent": round(percent, 1) if percent is not None else None,
        }
    return out


def _pod(result: PodResult, explain: bool, image: ImageOutcome | None) -> dict[str, Any]:
    pod = result.pod
    out: dict[str, Any] = {
        "namespace": pod.namespace,
        "name": pod.name,
        "owner": pod.owner,
        "node": result.node,
        "message": result.message if result.node is None else None,
    }
    if image is not None:
        out["image"] = {
            "outcome": image.outcome,
            "image": image.image,
            "reason": image.reason,
            "message": image.message,
        }
    if result.bound_in_input:
        out["boundInInput"] = True
    if result.preempted_by:
        out["preemptedBy"] = result.preempted_by
    if result.victims:
        out["victims"] = list(result.victims)
    decision = result.decision
    if decision is not None and decision.tie_set:
        out["tieSet"] = list(decision.tie_set)
    if explain:
        out["filters"] = (
            {
                node: {"plugin": s.plugin, "reason": s.message, "reasons": list(s.reasons)}
                for node, s in decision.filters.items()
            }
            if decision is not None
            else {}
        )
        out["scores"] = decision.scores if decision is not None else None
    return out


def _what_if(verdict: WhatIf) -> dict[str, Any]:
    return {
        "kind": verdict.kind,
        "nodes": list(verdict.nodes),
        "ok": verdict.ok,
        "displaced": [
            {
                "pod": d.pod,
                "owner": d.owner,
                "outcome": d.outcome,
                "node": d.node,
                "message": d.message,
            }
            for d in verdict.displaced
        ],
    }


def simulate_report_json(report: SimulateReport, *, explain: bool = False) -> dict[str, Any]:
    cluster = report.simulation.cluster
    pods = report.pods
    added = set(report.added)
    out: dict[str, Any] = {
        "apiVersion": REPORT_API_VERSION,
        "kind": REPORT_KIND,
        "schemaVersion": SCHEMA_VERSION,
        "kubernetesVersion": report.simulation.scheduler.semantics.version,
        "seed": report.options.seed,
        "inputs": {
            "paths": list(report.inputs.paths),
            "cluster": report.inputs.cluster,
            "lockfile": report.inputs.lockfile,
        },
        "summary": {
            "nodes": len(report.nodes),
            "pods": len(pods),
            "scheduled": sum(1 for r in pods if r.node is not None),
            "unschedulable": len(report.unschedulable),
            "preempted": sum(1 for r in pods if r.preempted_by),
            "wouldCrash": len(report.would_crash),
            "unknownImagePlatforms": len(report.unknown_images),
        },
        "nodes": [
            {"name": row.name, "arch": row.arch, "added": row.name in added, **_usage(row)}
            for row in node_usage(cluster)
        ],
        "architectures": [
            {"arch": row.arch, "nodes": row.nodes, **_usage(row)} for row in arch_usage(cluster)
        ],
        "pods": [_pod(r, explain, report.images.get(r.pod.key)) for r in pods],
        "whatIfs": [_what_if(w) for w in report.what_ifs],
        "controlPlane": [{"code": f.code, "message": f.message} for f in report.control_plane],
    }
    if report.options.fail_each:
        out["sweep"] = [
            {
                "node": w.nodes[0],
                "ok": w.ok,
                "podsShort": w.impact[0],
                "cpuShortMillis": w.impact[1],
                "podsDisplaced": w.impact[2],
                "displaced": _what_if(w)["displaced"],
            }
            for w in report.sweep
        ]
    out["singleNodeFailures"] = {k: sorted(set(v)) for k, v in sorted(report.fragile.items())}
    if report.options.suggest:
        out["suggestions"] = [
            {
                "workload": s.workload,
                "verdict": s.verdict,
                "reasons": s.reasons,
                "pods": s.pods,
                "cpuMillis": s.cpu_millis,
                "memoryBytes": s.memory_bytes,
            }
            for s in report.suggestions
        ]
        if report.suggested is not None:
            out["architecturesAfterSuggestions"] = [
                {"arch": row.arch, "nodes": row.nodes, **_usage(row)}
                for row in arch_usage(report.suggested.cluster)
            ]
    if report.notes:
        out["notes"] = list(report.notes)
    return out
