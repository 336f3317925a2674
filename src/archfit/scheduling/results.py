"""The outcome of `archfit simulate` as values: options, placements, what-if verdicts.

The usecase fills a `SimulateReport`; `archfit.report.simulate_json` and `simulate_text` render
it. Exit status: 1 when a pod is unschedulable, would crash on its node (its images lack the
node's platform), or a what-if leaves a workload short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from archfit.errors import InputError
from archfit.model.check import CheckInputs
from archfit.model.node import Node
from archfit.scheduling.platforms import ImageOutcome
from archfit.scheduling.simulate import PodResult, Simulation
from archfit.scheduling.suggest import Suggestion
from archfit.scheduling.whatif import ControlPlaneFinding, WhatIf

__all__ = ["SimulateOptions", "SimulateReport", "parse_add"]

_ADD = re.compile(r"^\s*(?:(\d+)\s*[x×*]\s*)?([A-Za-z0-9._-]+)\s*$")


@dataclass(frozen=True, slots=True)
class SimulateOptions:
    """What to simulate. `add` holds "2x raspberry-pi-5-8gb" strings; `fail` nodes fail
    together; `fail_each` runs the N−1 sweep; `drain` drains one node after the other."""

    cluster: Path | None = None
    version: str = "1.32"
    seed: int = 0
    add: tuple[str, ...] = ()
    add_node: tuple[Path, ...] = ()
    remove: tuple[str, ...] = ()
    fail: tuple[str, ...] = ()
    fail_each: bool = False
    drain: tuple[str, ...] = ()
    suggest: bool = False
    lock: Path | None = None
    explain: bool = False


@dataclass(slots=True)
class SimulateReport:
    """Everything `simulate` found; `exit_failed` says whether the command should exit 1."""

    options: SimulateOptions
    simulation: Simulation
    pods: list[PodResult]
    nodes: tuple[Node, ...]
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    what_ifs: list[WhatIf] = field(default_factory=list)
    sweep: list[WhatIf] = field(default_factory=list)
    control_plane: list[ControlPlaneFinding] = field(default_factory=list)
    fragile: dict[str, list[str]] = field(default_factory=dict)
    suggestions: list[Suggestion] = field(default_factory=list)
    suggested: Simulation | None = None
    notes: list[str] = field(default_factory=list)
    inputs: CheckInputs = field(default_factory=CheckInputs)
    # Per scheduled pod (by `namespace/name`): its images cannot run on its node, or nobody
    # knows their platforms. Pods absent here run where they were placed.
    images: dict[str, ImageOutcome] = field(default_factory=dict)

    @property
    def unschedulable(self) -> list[PodResult]:
        return [r for r in self.pods if r.node is None and r.preempted_by is None]

    def _with_image(self, outcome: str) -> list[tuple[PodResult, ImageOutcome]]:
        out = []
        for r in self.pods:
            found = self.images.get(r.pod.key) if r.node is not None else None
            if found is not None and found.outcome == outcome:
                out.append((r, found))
        return out

    @property
    def would_crash(self) -> list[tuple[PodResult, ImageOutcome]]:
        """Scheduled pods whose images the node cannot run (`exec format error`, or no match
        for its platform in the image's index)."""
        return self._with_image("would-crash")

    @property
    def unknown_images(self) -> list[tuple[PodResult, ImageOutcome]]:
        """Scheduled pods with an image whose platforms nobody resolved."""
        return self._with_image("unknown")

    @property
    def exit_failed(self) -> bool:
        return (
            bool(self.unschedulable)
            or bool(self.would_crash)
            or any(not w.ok for w in self.what_ifs + self.sweep)
        )


def parse_add(text: str) -> tuple[int, str]:
    """`"2x raspberry-pi-5-8gb"` → (2, profile); a bare profile means one node."""
    match = _ADD.match(text)
    if match is None:
        raise InputError(
            f"expected COUNTx PROFILE such as '2x raspberry-pi-5-8gb', got {text!r}", where="--add"
        )
    return int(match[1] or 1), match[2]
