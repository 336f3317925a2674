"""`archfit report`: one self-contained HTML page from a check and a simulation.

A pure function from report values to a string; the command writes it (atomically). Sections, in
order: summary, cluster map, compatibility matrix, findings, capacity per architecture, N−1
sweep, unused Pi capacity. Without a simulation (no inventory) only the check's sections show.
"""

from __future__ import annotations

from archfit.model.check import CheckReport
from archfit.report.html_check import findings_section, matrix_section
from archfit.report.html_cluster import capacity_section, map_section, pi_section, sweep_section
from archfit.report.html_page import esc, page
from archfit.scheduling.results import SimulateReport

__all__ = ["report_html"]


def _summary(check: CheckReport, simulation: SimulateReport | None) -> str:
    counts = check.counts()
    cards = [
        ("workloads", len(check.workloads)),
        ("nodes", len(check.nodes)),
        ("errors", counts["error"]),
        ("warnings", counts["warning"]),
        ("info", counts["info"]),
    ]
    if simulation is not None:
        cards.append(("pods placed", sum(1 for r in simulation.pods if r.node is not None)))
        cards.append(("pods pending", len(simulation.unschedulable)))
    inputs = check.inputs
    read = [
        f"paths <code>{esc(' '.join(inputs.paths))}</code>",
        f"cluster <code>{esc(inputs.cluster or inputs.cluster_name or 'none')}</code>",
        f"lockfile <code>{esc(inputs.lockfile or 'none')}</code>",
        f"policy <code>{esc(inputs.config or 'defaults')}</code>",
    ]
    return (
        '<div class="cards">'
        + "".join(f'<div class="card"><b>{value}</b>{esc(name)}</div>' for name, value in cards)
        + f'</div><p class="mut">{" · ".join(read)}</p>'
    )


def report_html(check: CheckReport, simulation: SimulateReport | None, *, swept: bool) -> str:
    """The whole page. `swept`: whether `simulation.sweep` holds the N−1 sweep."""
    name = check.inputs.cluster_name or "cluster"
    sections = []
    links = []
    if simulation is not None:
        sections.append(map_section(simulation))
        links.append(("map", "cluster map"))
    sections.append(matrix_section(check))
    sections.append(findings_section(check))
    links += [("matrix", "compatibility"), ("findings", "findings")]
    if simulation is not None:
        sections.append(capacity_section(simulation))
        sections.append(sweep_section(simulation, swept=swept))
        sections.append(pi_section(simulation))
        links += [("capacity", "capacity"), ("sweep", "N−1 sweep"), ("pi", "Pi capacity")]
    else:
        sections.insert(
            0,
            '<section id="map"><h2>Cluster map</h2><p>No cluster inventory: nothing was '
            "simulated.</p></section>",
        )
    nav = "".join(f'<a href="#{anchor}">{esc(text)}</a>' for anchor, text in links)
    body = (
        f"<header><h1>archfit report: {esc(name)}</h1>{_summary(check, simulation)}"
        f"<nav>{nav}</nav></header><main>{''.join(sections)}</main>"
    )
    return page(f"archfit report: {name}", body)
