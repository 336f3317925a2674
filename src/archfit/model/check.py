"""The result of a check: one verdict per workload, findings about the inputs, and counts.

The policy engine produces the verdicts, `archfit.usecases.check` assembles the report, and the
renderers in `archfit.report` print it; all three share these values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from archfit.model.finding import SEVERITIES, Finding, severity_rank
from archfit.model.imageinfo import ImageInfo
from archfit.model.node import Node
from archfit.model.placement import Placement
from archfit.model.pod import ContainerKind
from archfit.model.workload import Workload

__all__ = ["CheckInputs", "CheckReport", "ImageUse", "WorkloadVerdict"]


@dataclass(frozen=True, slots=True)
class ImageUse:
    """One container's image: as written, and what is known about it (None: does not parse)."""

    container: str
    kind: ContainerKind
    image: str
    info: ImageInfo | None


@dataclass(frozen=True, slots=True)
class WorkloadVerdict:
    """Where one workload may run and what is wrong with it.

    `eligible_nodes` is None when there is no inventory to check against; `rejections` maps
    every other inventory node to the scheduler's reasons for rejecting one pod of it (after the
    placement is applied). `ignored` is set by the `archfit.dev/ignore: "true"` annotation.
    Verdicts whose pods the filters treat alike may share one `eligible_nodes` tuple and one
    read-only `rejections` map.
    """

    workload: Workload
    images: tuple[ImageUse, ...] = ()
    placement: Placement = field(default_factory=Placement)
    eligible_nodes: tuple[str, ...] | None = None
    rejections: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    ignored: bool = False

    @property
    def allowed_architectures(self) -> frozenset[str] | None:
        return self.placement.allowed_architectures


@dataclass(frozen=True, slots=True)
class CheckInputs:
    """What a command read (paths as given or discovered), for the report's header."""

    paths: tuple[str, ...] = ()
    cluster: str | None = None
    lockfile: str | None = None
    config: str | None = None
    cluster_name: str | None = None
    # (resolved, asked): images the lockfile lacked that were resolved online in this run.
    online: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class CheckReport:
    workloads: tuple[WorkloadVerdict, ...] = ()
    findings: tuple[Finding, ...] = ()
    nodes: tuple[Node, ...] = ()
    inputs: CheckInputs = field(default_factory=CheckInputs)

    @property
    def all_findings(self) -> tuple[Finding, ...]:
        """Findings about the inputs first, then each workload's, in workload order."""
        out = list(self.findings)
        for verdict in self.workloads:
            out.extend(verdict.findings)
        return tuple(out)

    def counts(self) -> dict[str, int]:
        """Findings per severity, every severity present (0 when none)."""
        counter = Counter(f.severity for f in self.all_findings)
        return {severity: counter.get(severity, 0) for severity in SEVERITIES}

    def worst(self) -> int:
        """The rank of the most severe finding (see `severity_rank`), -1 when there is none."""
        return max((severity_rank(f.severity) for f in self.all_findings), default=-1)
