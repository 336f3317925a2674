"""The simulation's half of the HTML report: the cluster map, capacity per architecture, the
N−1 sweep, and the unused Pi capacity with what `simulate --suggest` would move there.

Large clusters are aggregated, not cut: a group of more than `TILES_PER_GROUP` nodes is drawn
as a histogram of its nodes by cpu utilisation plus its busiest nodes; the sweep chart shows the
`SWEEP_BARS` worst nodes and counts the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from archfit.model.node import Node
from archfit.report.html_page import bar, esc, hbar_chart, percent
from archfit.scheduling.results import SimulateReport
from archfit.scheduling.utilisation import Usage, UsageRow, arch_usage, node_usage

__all__ = [
    "SWEEP_BARS",
    "TILES_PER_GROUP",
    "capacity_section",
    "map_section",
    "node_role",
    "pi_section",
    "sweep_section",
]

TILES_PER_GROUP = 120
SWEEP_BARS = 40
ARM64 = "arm64"
_GIB = 1024**3


def node_role(node: Node) -> str:
    """The group a node is drawn in, beside its architecture."""
    if node.is_control_plane:
        return "control plane"
    if node.gpu_vendors:
        return f"GPU ({', '.join(sorted(node.gpu_vendors))})"
    if (node.profile or "").startswith("raspberry-pi") or (
        node.labels.get("node.kubernetes.io/instance-type") == "raspberry-pi"
    ):
        return "Raspberry Pi"
    return "worker"


def _bars(row: UsageRow) -> str:
    u = row.usage
    gpu = u["gpu"]
    out = [
        bar("cpu", u["cpu"].percent, title=f"cpu {u['cpu'].requested}m of {u['cpu'].allocatable}m"),
        bar(
            "memory",
            u["memory"].percent,
            title=f"memory {u['memory'].requested / _GIB:.1f} of "
            f"{u['memory'].allocatable / _GIB:.1f} GiB",
        ),
        bar(
            "pods",
            u["pods"].percent,
            title=f"pods {u['pods'].requested} of {u['pods'].allocatable}",
        ),
    ]
    if gpu.allocatable:
        out.append(bar("GPUs", gpu.percent, title=f"GPUs {gpu.requested} of {gpu.allocatable}"))
    return "".join(out)


def _tile(node: Node, row: UsageRow, crashing: Sequence[str] = ()) -> str:
    css = "node cordoned" if node.unschedulable else "node"
    state = " (cordoned)" if node.unschedulable else ""
    crash = (
        f'<p class="sev-error" title="{esc(", ".join(crashing))}">{len(crashing)} pod'
        f"{'s' if len(crashing) != 1 else ''} would crash here (image lacks "
        f"{esc(node.arch)})</p>"
        if crashing
        else ""
    )
    return f'<div class="{css}"><h4>{esc(node.name)}{state}</h4>{_bars(row)}{crash}</div>'


def _histogram(rows: Sequence[UsageRow]) -> str:
    buckets = [0] * 10
    for row in rows:
        value = row.usage["cpu"].percent or 0.0
        buckets[min(9, int(value // 10))] += 1
    data = [(f"cpu {i * 10}–{i * 10 + 10}%", [float(n)]) for i, n in enumerate(buckets)]
    return hbar_chart(data, [("nodes", "s-req")], title="nodes by cpu requested")


def map_section(report: SimulateReport) -> str:
    by_name = {n.name: n for n in report.nodes}
    # Pods placed where their images cannot run (exec format error), per node.
    crashing: dict[str, list[str]] = {}
    for result, outcome in report.would_crash:
        crashing.setdefault(outcome.node, []).append(result.pod.key)
    groups: dict[tuple[str, str], list[UsageRow]] = {}
    for row in node_usage(report.simulation.cluster):
        node = by_name[row.name]
        groups.setdefault((node.arch, node_role(node)), []).append(row)
    parts = []
    for (arch, role), rows in sorted(groups.items()):
        title = f"{arch} · {role} · {len(rows)} node{'s' if len(rows) != 1 else ''}"
        if len(rows) <= TILES_PER_GROUP:
            tiles = "".join(_tile(by_name[r.name], r, crashing.get(r.name, ())) for r in rows)
            parts.append(
                f'<div class="group"><h3>{esc(title)}</h3><div class="tiles">{tiles}</div></div>'
            )
            continue
        busiest = sorted(rows, key=lambda r: -(r.usage["cpu"].percent or 0.0))[:12]
        tiles = "".join(_tile(by_name[r.name], r, crashing.get(r.name, ())) for r in busiest)
        parts.append(
            f'<div class="group"><h3>{esc(title)}</h3>{_histogram(rows)}'
            f'<p class="note">{len(rows)} nodes, aggregated; the 12 with the most cpu '
            f'requested:</p><div class="tiles">{tiles}</div></div>'
        )
    pending = len(report.unschedulable)
    note = (
        f'<p class="sev-error">{pending} pod{"s" if pending != 1 else ""} could not be placed.</p>'
        if pending
        else ""
    )
    if report.would_crash:
        note += (
            f'<p class="sev-error">{len(report.would_crash)} placed pods would crash: their '
            "images lack the node's architecture.</p>"
        )
    return (
        '<section id="map"><h2>Cluster map</h2><p class="mut">Nodes by architecture and role; '
        "each bar is what the simulated pods request against the node's allocatable.</p>"
        f"{note}{''.join(parts)}</section>"
    )


def _usage_rows(rows: Sequence[UsageRow]) -> str:
    out = []
    for row in rows:
        u = row.usage
        out.append(
            f"<tr><td>{esc(row.arch)}</td><td>{row.nodes}</td>"
            f"<td>{u['cpu'].requested / 1000:g} / {u['cpu'].allocatable / 1000:g} "
            f"({percent(u['cpu'].percent)})</td>"
            f"<td>{u['memory'].requested / _GIB:.1f} / {u['memory'].allocatable / _GIB:.1f} GiB "
            f"({percent(u['memory'].percent)})</td>"
            f"<td>{u['pods'].requested} / {u['pods'].allocatable}</td>"
            f"<td>{u['gpu'].requested} / {u['gpu'].allocatable}</td></tr>"
        )
    return (
        '<div class="scroll">'
        "<table><thead><tr><th>arch</th><th>nodes</th><th>cpu (cores)</th><th>memory</th>"
        f"<th>pods</th><th>GPUs</th></tr></thead><tbody>{''.join(out)}</tbody></table></div>"
    )


def _free(usage: Usage) -> int:
    return max(0, usage.allocatable - usage.requested)


def capacity_section(report: SimulateReport) -> str:
    rows = arch_usage(report.simulation.cluster)
    cpu = [(r.arch, [r.usage["cpu"].requested / 1000, _free(r.usage["cpu"]) / 1000]) for r in rows]
    memory = [
        (
            r.arch,
            [
                round(r.usage["memory"].requested / _GIB, 1),
                round(_free(r.usage["memory"]) / _GIB, 1),
            ],
        )
        for r in rows
    ]
    series = [("requested", "s-req"), ("free", "s-free")]
    cpu_chart = hbar_chart(cpu, series, title="cpu cores: requested and free", unit=" cores")
    memory_chart = hbar_chart(memory, series, title="memory GiB: requested and free", unit=" GiB")
    return (
        '<section id="capacity"><h2>Capacity and requests per architecture</h2>'
        f"{cpu_chart}{memory_chart}{_usage_rows(rows)}</section>"
    )


def sweep_section(report: SimulateReport, *, swept: bool) -> str:
    if not swept:
        return (
            '<section id="sweep"><h2>N−1 sweep</h2><p class="note">Not run: the cluster has '
            f"{len(report.nodes)} nodes; pass <code>--fail-each</code> to fail each node in "
            "turn.</p></section>"
        )
    bars = []
    for verdict in report.sweep[:SWEEP_BARS]:
        short = sum(1 for d in verdict.displaced if d.failed)
        moved = sum(1 for d in verdict.displaced if d.outcome == "rescheduled")
        lost = len(verdict.displaced) - short - moved
        bars.append((verdict.nodes[0], [float(short), float(moved), float(lost)]))
    series = [
        ("pending or stuck", "s-fail"),
        ("rescheduled", "s-ok"),
        ("gone with the node", "s-lost"),
    ]
    chart = hbar_chart(bars, series, title="pods displaced when the node fails")
    more = len(report.sweep) - SWEEP_BARS
    rest = f'<p class="note">and {more} more nodes, less hurtful.</p>' if more > 0 else ""
    rows = []
    for verdict in report.sweep:
        failed = [d for d in verdict.displaced if d.failed]
        if not failed:
            continue
        what = "<br>".join(
            f"{esc(d.workload or d.pod)}: <b>{esc(d.outcome)}</b>"
            + (f' <span class="mut">{esc(d.message)}</span>' if d.message else "")
            for d in failed
        )
        rows.append(f"<tr><td>{esc(verdict.nodes[0])}</td><td>{what}</td></tr>")
    table = (
        '<div class="scroll">'
        "<table><thead><tr><th>if this node fails</th><th>left pending or stuck</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
        if rows
        else "<p>The loss of any one node leaves nothing short.</p>"
    )
    return (
        '<section id="sweep"><h2>N−1 sweep</h2><p class="mut">Each node fails alone (not '
        "drained): what its pods become, worst first.</p>"
        f"{chart}{rest}{table}</section>"
    )


def pi_section(report: SimulateReport) -> str:
    arm = [r for r in arch_usage(report.simulation.cluster) if r.arch == ARM64]
    if not arm:
        return (
            '<section id="pi"><h2>Unused Pi capacity</h2><p>The cluster has no arm64 node.</p>'
            "</section>"
        )
    u = arm[0].usage
    free = (
        f"<p>{arm[0].nodes} arm64 nodes: <b>{_free(u['cpu']) / 1000:g} cores</b> and "
        f"<b>{_free(u['memory']) / _GIB:.1f} GiB</b> not requested "
        f"(cpu {percent(u['cpu'].percent)}, memory {percent(u['memory'].percent)} used).</p>"
    )
    movable = [s for s in report.suggestions if s.verdict == "movable"]
    rows = "".join(
        f"<tr><td>{esc(s.workload)}</td><td>{s.pods}</td><td>{s.cpu_millis}m</td>"
        f"<td>{s.memory_bytes / _GIB:.2f} GiB</td><td>{esc('; '.join(s.reasons) or '—')}</td></tr>"
        for s in movable
    )
    table = (
        '<div class="scroll">'
        "<table><thead><tr><th>workload</th><th>pods</th><th>cpu</th><th>memory</th>"
        f"<th>why it can move</th></tr></thead><tbody>{rows}</tbody></table></div>"
        if movable
        else "<p>No workload could move to the arm64 nodes.</p>"
    )
    after = ""
    if report.suggested is not None and movable:
        after = "<h3>Per architecture after the moves</h3>" + _usage_rows(
            arch_usage(report.suggested.cluster)
        )
    blocked = len(report.suggestions) - len(movable)
    return (
        '<section id="pi"><h2>Unused Pi capacity</h2>'
        f"{free}<h3>What <code>archfit simulate --suggest</code> would move there</h3>{table}"
        f'<p class="note">{blocked} workloads cannot move (GPU, heavy, images without arm64, '
        f"or pinned).</p>{after}</section>"
    )
