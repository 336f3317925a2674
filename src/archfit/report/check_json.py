"""The check report as JSON (`archfit check --format json`), documented in docs/check-json.md.

The shape is a contract: keys are only ever added. Lists keep the input order (workloads as
read, nodes as listed in the inventory); architectures and platforms are sorted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from archfit.model.check import CheckReport, ImageUse, WorkloadVerdict
from archfit.model.finding import Finding
from archfit.model.placement import Placement
from archfit.model.selectors import NodeSelectorRequirement, NodeSelectorTerm

__all__ = [
    "REPORT_API_VERSION",
    "REPORT_KIND",
    "SCHEMA_VERSION",
    "check_report_json",
    "finding_json",
]

REPORT_API_VERSION = "archfit.dev/v1alpha1"
# Raised when a key changes meaning or goes away (keys are otherwise only added); the
# schema is published in docs/schema/.
SCHEMA_VERSION = 1
REPORT_KIND = "CheckReport"


@dataclass
class _Shared:
    """JSON values already built for maps and tuples that several verdicts share, by id."""

    rejected: dict[int, tuple[Mapping[str, tuple[str, ...]], dict[str, list[str]]]] = field(
        default_factory=dict
    )
    eligible: dict[int, tuple[tuple[str, ...], list[str]]] = field(default_factory=dict)


class RequirementJson(TypedDict):
    key: str
    operator: str
    values: list[str]


class ImageJson(TypedDict):
    container: str
    kind: str
    ref: str
    digest: str | None
    platforms: list[str]
    status: str
    detail: str


def _requirement(req: NodeSelectorRequirement) -> RequirementJson:
    return {"key": req.key, "operator": req.operator, "values": list(req.values)}


def _term(term: NodeSelectorTerm) -> dict[str, Any]:
    out: dict[str, Any] = {"matchExpressions": [_requirement(r) for r in term.match_expressions]}
    if term.match_fields:
        out["matchFields"] = [_requirement(r) for r in term.match_fields]
    return out


def placement_json(placement: Placement) -> dict[str, Any]:
    return {
        "required": [_requirement(r) for r in placement.required],
        "preferred": [
            {"weight": p.weight, "preference": _term(p.preference)} for p in placement.preferred
        ],
    }


def _image(use: ImageUse) -> ImageJson:
    if use.info is None:
        return {
            "container": use.container,
            "kind": use.kind,
            "ref": use.image,
            "digest": None,
            "platforms": [],
            "status": "error",
            "detail": "not a valid image reference",
        }
    return {
        "container": use.container,
        "kind": use.kind,
        "ref": str(use.info.ref),
        "digest": use.info.digest,
        "platforms": [str(p) for p in sorted(use.info.platforms)],
        "status": use.info.status,
        "detail": use.info.detail,
    }


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "severity": finding.severity,
        "message": finding.message,
        "hint": finding.hint,
        "rule": finding.rule,
        "subject": finding.subject,
        "source": str(finding.source) if finding.source is not None else None,
        "details": dict(finding.details),
    }


def _rejected(verdict: WorkloadVerdict, shared: _Shared) -> dict[str, list[str]]:
    """The rejected nodes as JSON; workloads whose verdicts share one rejections map (the
    policy engine shares them between pods the filters treat alike) share one value too."""
    rejections = verdict.rejections
    entry = shared.rejected.get(id(rejections))
    if entry is None:
        # The map is kept beside its value so that its id cannot be reused meanwhile.
        entry = shared.rejected[id(rejections)] = (
            rejections,
            {name: list(r) for name, r in rejections.items()},
        )
    return entry[1]


def _eligible(verdict: WorkloadVerdict, shared: _Shared) -> list[str] | None:
    """The eligible nodes as JSON, one list per distinct tuple (see `_rejected`)."""
    names = verdict.eligible_nodes
    if names is None:
        return None
    entry = shared.eligible.get(id(names))
    if entry is None:
        entry = shared.eligible[id(names)] = (names, list(names))
    return entry[1]


def _workload(verdict: WorkloadVerdict, shared: _Shared) -> dict[str, Any]:
    w = verdict.workload
    allowed = verdict.allowed_architectures
    return {
        "kind": w.kind,
        "namespace": w.namespace,
        "name": w.name,
        "source": str(w.source),
        "images": [_image(use) for use in verdict.images],
        "allowed_architectures": sorted(allowed) if allowed is not None else None,
        "eligible_nodes": _eligible(verdict, shared),
        "rejected_nodes": _rejected(verdict, shared),
        "placement": placement_json(verdict.placement),
        "findings": [finding_json(f) for f in verdict.findings],
        "ignored": verdict.ignored,
        # Only inputs with entry points (several clusters or environments) name them.
        **({"entryPoint": w.entry_point} if w.entry_point else {}),
    }


def check_report_json(report: CheckReport) -> dict[str, Any]:
    """The whole report as JSON-ready values."""
    every = report.all_findings
    shared = _Shared()
    by_id: dict[str, int] = {}
    for finding in every:
        by_id[finding.id] = by_id.get(finding.id, 0) + 1
    return {
        "apiVersion": REPORT_API_VERSION,
        "kind": REPORT_KIND,
        "schemaVersion": SCHEMA_VERSION,
        "inputs": {
            "paths": list(report.inputs.paths),
            "config": report.inputs.config,
            "cluster": report.inputs.cluster,
            "lockfile": report.inputs.lockfile,
        },
        "cluster": {
            "name": report.inputs.cluster_name,
            "nodes": [
                {"name": n.name, "architecture": n.arch, "roles": sorted(n.roles)}
                for n in report.nodes
            ],
        },
        "workloads": [_workload(v, shared) for v in report.workloads],
        "findings": [finding_json(f) for f in every],
        "summary": {
            "workloads": len(report.workloads),
            "nodes": len(report.nodes),
            "unschedulable": sum(
                1 for v in report.workloads if any(f.id == "unschedulable" for f in v.findings)
            ),
            "findings": report.counts(),
            "by_id": dict(sorted(by_id.items())),
        },
    }
