"""The simulation as plain text (`archfit simulate`): utilisation per node and architecture,
unschedulable pods with the scheduler's message, and what-if verdicts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from archfit.model.quantity import Quantity
from archfit.scheduling.results import SimulateReport
from archfit.scheduling.utilisation import RESOURCES, Usage, UsageRow, arch_usage, node_usage
from archfit.scheduling.whatif import WhatIf

__all__ = ["simulate_report_text"]

_HEADERS = {
    "cpu": "CPU",
    "memory": "MEMORY",
    "pods": "PODS",
    "ephemeral-storage": "EPHEMERAL",
    "gpu": "GPU",
}


def _cores(milli: int) -> str:
    """Cores in one unit down a column (`2.4`, `16`, `0.45`), never `2425m` beside `16`."""
    if milli % 1000 == 0:
        return str(milli // 1000)
    text = f"{milli / 1000:.1f}" if milli >= 1000 else f"{milli / 1000:.2f}"
    return text.rstrip("0").rstrip(".")


def _amount(resource: str, value: int) -> str:
    if resource == "cpu":
        return _cores(value)
    if resource in ("memory", "ephemeral-storage"):
        return Quantity.parse(value).format_bytes() if value else "0"
    return str(value)


def _cell(resource: str, usage: Usage | None) -> str:
    if usage is None or usage.allocatable == 0:
        return "-" if usage is None or usage.requested == 0 else _amount(resource, usage.requested)
    percent = usage.percent or 0.0
    return (
        f"{_amount(resource, usage.requested)}/{_amount(resource, usage.allocatable)} "
        f"({percent:.0f}%)"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return lines


def _usage_table(
    first: str,
    rows: Sequence[UsageRow],
    *,
    added: set[str],
    crashes: Mapping[str, int] | None = None,
) -> list[str]:
    """One row per node or architecture; `crashes` (pods that would crash there, by row name)
    adds a column, shown only when some pod would."""
    headers = [first, "ARCH" if first == "NODE" else "NODES", *(_HEADERS[r] for r in RESOURCES)]
    if crashes is not None:
        headers.append("WOULD CRASH")
    body = [
        [
            row.name + (" (added)" if row.name in added else ""),
            row.arch if first == "NODE" else str(row.nodes),
            *(_cell(r, row.usage.get(r)) for r in RESOURCES),
            *([str(crashes.get(row.name, 0))] if crashes is not None else []),
        ]
        for row in rows
    ]
    return _table(headers, body)


def _short_because(w: WhatIf) -> str:
    """The outcomes that left pods short, counted: `2 pending, 1 stuck` (`-` when none)."""
    counts: dict[str, int] = {}
    for d in w.displaced:
        if d.failed:
            counts[d.outcome] = counts.get(d.outcome, 0) + 1
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "-"


def _crash_counts(report: SimulateReport) -> tuple[dict[str, int], dict[str, int]] | None:
    if not report.would_crash:
        return None
    arch_of = {n.name: n.arch for n in report.nodes}
    by_node: Counter[str] = Counter()
    by_arch: Counter[str] = Counter()
    for _, outcome in report.would_crash:
        by_node[outcome.node] += 1
        by_arch[arch_of.get(outcome.node, "")] += 1
    return dict(by_node), dict(by_arch)


def _image_sections(report: SimulateReport) -> list[str]:
    lines: list[str] = []
    if report.would_crash:
        lines += ["", "Pods that would crash on their node (the scheduler ignores image platforms)"]
        for result, outcome in report.would_crash:
            owner = f" ({result.pod.owner})" if result.pod.owner else ""
            lines.append(f"  {result.pod.key}{owner} on {outcome.node}")
            lines.append(f"    {outcome.message}")
    unknown = report.unknown_images
    if unknown:
        by_image: dict[tuple[str, str], int] = {}
        for _, outcome in unknown:
            key = (outcome.image, outcome.reason)
            by_image[key] = by_image.get(key, 0) + 1
        lines += ["", f"Pods whose image platforms are unknown ({len(unknown)}): not vouched for"]
        lines += [
            f"  {image}: {count} pod(s), {reason}"
            for (image, reason), count in sorted(by_image.items())
        ]
    return lines


def _verdict(w: WhatIf) -> list[str]:
    title = f"{w.kind} {', '.join(w.nodes)}: {'OK' if w.ok else 'FAILS'}"
    lines = [title]
    for d in w.displaced:
        where = f" -> {d.node}" if d.outcome == "rescheduled" else ""
        lines.append(f"  {d.outcome:<11} {d.pod}{where}" + (f": {d.message}" if d.message else ""))
    if not w.displaced:
        lines.append("  nothing to move")
    return lines


def _inputs(report: SimulateReport) -> list[str]:
    """Which files were read, in the words of `archfit check`'s header."""
    inputs = report.inputs
    name = f"{inputs.cluster_name}: " if inputs.cluster_name else ""
    origin = f"from {inputs.cluster}" if inputs.cluster else "from Node objects in the input"
    lines = [f"  cluster    {name}{origin}"]
    if inputs.online is not None:
        resolved, asked = inputs.online
        lacking = f"missing from {inputs.lockfile} " if inputs.lockfile else ""
        lines.append(f"  images     {resolved} of {asked} {lacking}resolved online")
    elif inputs.lockfile:
        lines.append(f"  images     from {inputs.lockfile}")
    return lines


def simulate_report_text(report: SimulateReport) -> str:
    cluster = report.simulation.cluster
    pods = report.pods
    scheduled = sum(1 for r in pods if r.node is not None)
    preempted = [r for r in pods if r.preempted_by]
    crashes = _crash_counts(report)
    lines = [
        f"Simulated {len(pods)} pods on {len(report.nodes)} nodes "
        f"(kube-scheduler {report.simulation.scheduler.semantics.version}, seed "
        f"{report.options.seed}): {scheduled} scheduled, {len(report.unschedulable)} "
        f"unschedulable, {len(preempted)} preempted, {len(report.would_crash)} would crash",
        *_inputs(report),
        "",
        "Nodes",
        *_usage_table(
            "NODE", node_usage(cluster), added=set(report.added), crashes=crashes and crashes[0]
        ),
        "",
        "Architectures",
        *_usage_table("ARCH", arch_usage(cluster), added=set(), crashes=crashes and crashes[1]),
    ]
    if report.removed:
        lines += ["", f"Removed nodes: {', '.join(report.removed)}"]
    if report.unschedulable:
        lines += ["", "Unschedulable pods"]
        for r in report.unschedulable:
            owner = f" ({r.pod.owner})" if r.pod.owner else ""
            lines.append(f"  {r.pod.key}{owner}")
            lines.append(f"    {r.message}")
    lines += _image_sections(report)
    if preempted:
        lines += ["", "Preempted pods"]
        lines += [f"  {r.pod.key} by {r.preempted_by}" for r in preempted]
    for verdict in report.what_ifs:
        lines += ["", *_verdict(verdict)]
    if report.options.fail_each:
        lines += ["", "N-1: each node fails alone (worst first)"]
        rows = [
            [
                w.nodes[0],
                "OK" if w.ok else "FAILS",
                str(w.impact[0]),
                _short_because(w),
                _amount("cpu", w.impact[1]) if w.impact[1] else "-",
                str(w.impact[2]),
            ]
            for w in report.sweep
        ]
        # What is short, and why: a StatefulSet pod stuck on the dead node is not short of CPU.
        headers = ["NODE", "VERDICT", "PODS SHORT", "WHY", "THEIR CPU", "PODS MOVED"]
        lines += _table(headers, rows)
        for w in report.sweep:
            for d in w.displaced:
                if d.failed:
                    lines.append(f"  {w.nodes[0]}: {d.outcome} {d.pod}: {d.message or ''}".rstrip())
    if report.fragile:
        lines += ["", "Workloads that do not survive the loss of one node"]
        lines += [
            f"  {owner}: {', '.join(sorted(set(nodes)))}"
            for owner, nodes in sorted(report.fragile.items())
        ]
    if report.control_plane:
        lines += ["", "Control plane"]
        lines += [f"  {f.code}: {f.message}" for f in report.control_plane]
    if report.options.suggest:
        lines += ["", "Workloads that could move to arm64"]
        movable = [s for s in report.suggestions if s.verdict == "movable"]
        for s in movable:
            lines.append(
                f"  movable  {s.workload} ({s.pods} pod(s), {_amount('cpu', s.cpu_millis)} cpu, "
                f"{_amount('memory', s.memory_bytes)} memory)"
            )
        for s in report.suggestions:
            if s.verdict != "movable":
                lines.append(f"  stays    {s.workload}: {'; '.join(s.reasons)}")
        if not report.suggestions:
            lines.append("  none (no arm64 nodes, or nothing runs elsewhere)")
        if report.suggested is not None and movable:
            lines += ["", "Architectures after moving them"]
            lines += _usage_table("ARCH", arch_usage(report.suggested.cluster), added=set())
    return "\n".join(lines) + "\n"
