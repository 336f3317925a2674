"""`archfit report`: the check and the simulation of the same inputs, for one HTML page.

    paths ──> load_manifests (once) ──> run_check ──> CheckReport (verdicts, findings)
                                   └──> run_simulate (--suggest) ──> SimulateReport
                                              └──> N−1 sweep (small clusters, or --fail-each)

The manifests are read once and handed to both use cases; with `nodes` (a live cluster) they
replace the inventory of both. The simulation uses the inventory the check found (beside
archfit.yaml or in the first path's directory, or --cluster). Nothing is written here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archfit.errors import InputError
from archfit.model.check import CheckReport
from archfit.model.finding import Finding
from archfit.model.node import Node
from archfit.policy import ImagePlatforms
from archfit.scheduling.results import SimulateOptions, SimulateReport
from archfit.scheduling.whatif import fail_each
from archfit.usecases.check import run_check
from archfit.usecases.simulate import ALWAYS_SWEEP_NODES, run_simulate

if TYPE_CHECKING:
    from archfit.manifests import ManifestSet

__all__ = ["ReportInputs", "run_report"]


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """What the page shows. `simulation` is None when there is no node to simulate on;
    `swept` says whether the N−1 sweep ran (it is skipped on large clusters unless asked)."""

    check: CheckReport
    simulation: SimulateReport | None
    swept: bool


def run_report(
    paths: Sequence[Path | str],
    *,
    cluster: Path | None = None,
    lock: Path | None = None,
    config: Path | None = None,
    sweep: bool = False,
    nodes: Sequence[Node] | None = None,
    cluster_name: str | None = None,
    manifests: ManifestSet | None = None,
    more_findings: Callable[[ImagePlatforms], Iterable[Finding]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReportInputs:
    """Check and simulate; `sweep` forces the N−1 sweep on clusters of any size."""
    from archfit.sources import load_manifests  # noqa: PLC0415 - YAML readers load lazily

    targets = [Path(p) for p in paths]
    for target in targets:
        if not target.exists():
            raise InputError("no such file or directory", where=str(target))
    if manifests is None:
        if not targets:
            raise InputError("no path given; expected a directory or manifest files")
        manifests = load_manifests(targets)
    if nodes is not None:
        manifests = dataclasses.replace(manifests, nodes=tuple(nodes))
    check = run_check(
        targets,
        cluster=cluster,
        lock=lock,
        config=config,
        nodes=nodes,
        cluster_name=cluster_name,
        manifests=manifests,
        more_findings=more_findings,
    )
    if not check.nodes:
        return ReportInputs(check, None, swept=False)
    options = SimulateOptions(
        cluster=Path(check.inputs.cluster) if nodes is None and check.inputs.cluster else None,
        lock=Path(check.inputs.lockfile) if check.inputs.lockfile else None,
        suggest=True,
    )
    simulation = run_simulate(targets, options, manifests=manifests)
    swept = sweep or len(simulation.nodes) <= ALWAYS_SWEEP_NODES
    if swept:
        simulation.sweep = fail_each(simulation.simulation, progress)
    return ReportInputs(check, simulation, swept=swept)
