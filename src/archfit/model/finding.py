"""Findings: what archfit says about a workload, a node or an input, with a stable id.

Ids are part of the public contract (documented in docs/findings.md, used by `--fail-on`,
`archfit.dev/ignore` and CI pipelines): never rename one, only add.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from archfit.model.workload import SourceRef

__all__ = ["SEVERITIES", "Finding", "Severity", "severity_rank"]

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")


def severity_rank(severity: str) -> int:
    """0 for info, 1 for warning, 2 for error; raises ValueError for anything else."""
    return SEVERITIES.index(severity)  # type: ignore[arg-type,unused-ignore]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing archfit found. `subject` is the workload key (`Kind/namespace/name`), a node
    name, or a file; `hint` is a one-line fix a person can act on."""

    id: str
    severity: Severity
    message: str
    subject: str | None = None
    source: SourceRef | None = None
    hint: str = ""
    rule: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.id, self.severity, self.message, self.subject, self.source))
