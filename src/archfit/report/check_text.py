"""The check report as plain text: a header saying what was read, one table of workloads, the
findings grouped by severity with file:line and a fix, and a summary that explains the exit
code. Deterministic (no colour; lines wrap at `width`, 100 unless the terminal is narrower) so it
can be compared byte for byte. Findings that say the same about several workloads (one
`unresolved-image` per image) are one entry listing the workloads; file paths under `cwd` are
written relative to it.
"""

from __future__ import annotations

import os
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from archfit.model.check import CheckReport, WorkloadVerdict
from archfit.model.finding import SEVERITIES, Finding, severity_rank
from archfit.model.node import Node
from archfit.model.workload import SourceRef

__all__ = ["check_report_text", "describe_nodes"]

WIDTH = 100
_HEADINGS = {"error": "ERRORS", "warning": "WARNINGS", "info": "INFO"}


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def describe_nodes(names: Sequence[str] | None, nodes: Sequence[Node]) -> str:
    """Where a workload may run, short: a few names, or counts per architecture."""
    if names is None:
        return "(no inventory)"
    if not names:
        return "nowhere"
    if len(names) == len(nodes) and len(nodes) > 4:
        return f"all {len(nodes)} nodes"
    if len(names) <= 3:
        return ", ".join(names)
    by_name = {n.name: n for n in nodes}
    archs = Counter(by_name[name].arch for name in names if name in by_name)
    if len(archs) == 1:
        return f"{len(names)} {next(iter(archs))} nodes"
    parts = ", ".join(f"{count} {arch}" for arch, count in sorted(archs.items()))
    return f"{len(names)} nodes: {parts}"


def _image_architectures(verdict: WorkloadVerdict, cluster: frozenset[str]) -> str:
    """The architectures all runtime images ship, those the cluster has first."""
    common: set[str] | None = None
    unknown = False
    for use in verdict.images:
        if use.kind == "ephemeral":
            continue
        if use.info is None or use.info.status != "resolved":
            unknown = True
            continue
        archs = {p.architecture for p in use.info.linux_platforms}
        common = archs if common is None else common & archs
    if common is None:
        return "unknown"
    if not common:
        return "none in common"
    shown = sorted(common & cluster) if cluster else sorted(common)
    others = len(common) - len(shown)
    # Never cut mid-phrase in the 18-character column: name what they ship instead.
    text = ", ".join(shown) or "only " + ", ".join(sorted(common))
    if others:
        text += f" +{others}"
    return text + (" (+?)" if unknown else "")


def _described(
    names: Sequence[str] | None,
    report: CheckReport,
    described: dict[int, tuple[Sequence[str] | None, str]],
) -> str:
    entry = described.get(id(names))
    if entry is None:
        # The tuple is kept beside its text so that its id cannot be reused meanwhile.
        entry = described[id(names)] = (names, describe_nodes(names, report.nodes))
    return entry[1]


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(report: CheckReport) -> list[str]:
    cluster = frozenset(n.arch for n in report.nodes)
    rows = []
    # Workloads the filters treat alike share one eligible-node tuple: describe each once.
    described: dict[int, tuple[Sequence[str] | None, str]] = {}
    verdicts = sorted(report.workloads, key=lambda v: v.workload.entry_point)
    for verdict in verdicts:
        ids = sorted(
            {f.id for f in verdict.findings},
            key=lambda i: (
                -max(severity_rank(f.severity) for f in verdict.findings if f.id == i),
                i,
            ),
        )
        findings = ", ".join(ids) if ids else ("ignored" if verdict.ignored else "ok")
        rows.append(
            (
                verdict.workload.key,
                _image_architectures(verdict, cluster),
                _described(verdict.eligible_nodes, report, described),
                findings,
            )
        )
    header = ("WORKLOAD", "IMAGES SHIP", "MAY RUN ON", "FINDINGS")
    widths = [
        max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i])
        for i in range(3)
    ]
    widths = [min(widths[0], 44), min(widths[1], 18), min(widths[2], 26)]
    out = []
    entries = [""] + [v.workload.entry_point for v in verdicts]
    for index, row in enumerate((header, *rows)):
        # Workloads come grouped by entry point: a line names each group's deployment.
        if entries[index] and entries[index] != entries[index - 1]:
            out.append(f"entry point {entries[index]}:")
        cells = [_cell(row[i], widths[i]).ljust(widths[i]) for i in range(3)]
        out.append("  ".join([*cells, row[3]]).rstrip())
    return out


@dataclass(frozen=True, slots=True)
class _Layout:
    """How the text is laid out for one reader: line width and the directory paths are
    relative to."""

    width: int = WIDTH
    cwd: str | None = None

    def path(self, file: str) -> str:
        if self.cwd is None or not os.path.isabs(file):
            return file
        rel = os.path.relpath(file, self.cwd)
        return file if rel.startswith("..") else rel

    def where(self, source: SourceRef | None) -> str:
        if source is None:
            return "input"
        return str(SourceRef(self.path(source.file), source.line, source.origin))


def _wrap(text: str, indent: str, width: int = WIDTH) -> list[str]:
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_on_hyphens=False,
        break_long_words=False,
    )


def _finding(finding: Finding, layout: _Layout = _Layout()) -> list[str]:
    """The id, subject and location on one line, then the message and the fix below it.

    The location is printed once: a subject that is just the located file, and a message that
    starts with the location (as `invalid-yaml` and `invalid-manifest` messages do, so that
    they stand alone in logs and JSON), are shortened here.
    """
    where = layout.where(finding.source)
    shown = finding.subject
    message = finding.message
    if finding.source is not None:
        if shown == finding.source.file:
            shown = None
        message = message.removeprefix(f"{finding.source}: ").removeprefix(f"{where}: ")
        if finding.source.file != layout.path(finding.source.file):
            message = message.replace(finding.source.file, layout.path(finding.source.file))
    subject = f"{shown}  " if shown else ""
    lines = [f"  {finding.id}  {subject}{where}"]
    lines += _wrap(message, "    ", layout.width)
    if finding.hint:
        lines += _wrap(f"fix: {finding.hint}", "    ", layout.width)
    return lines


def _group_key(finding: Finding) -> tuple[str, str, str, str] | None:
    """Findings about workloads that say the same thing share a key (None: stands alone)."""
    if finding.subject is None or finding.source is None or "/" not in finding.subject:
        return None
    return finding.id, finding.severity, finding.message, finding.hint


def _entries(group: Sequence[Finding]) -> list[list[Finding]]:
    """The findings in their order, those with the same key gathered at the first one."""
    entries: list[list[Finding]] = []
    at: dict[tuple[str, str, str, str], list[Finding]] = {}
    for finding in group:
        key = _group_key(finding)
        if key is None:
            entries.append([finding])
        elif key in at:
            at[key].append(finding)
        else:
            at[key] = [finding]
            entries.append(at[key])
    return entries


def _grouped(findings: Sequence[Finding], layout: _Layout) -> list[str]:
    """One entry for several workloads: the id and count, the message and fix once, then one
    line per workload with its location."""
    first = findings[0]
    lines = [f"  {first.id}  {_plural(len(findings), 'workload')}"]
    lines += _wrap(first.message, "    ", layout.width)
    if first.hint:
        lines += _wrap(f"fix: {first.hint}", "    ", layout.width)
    lines += [f"    - {f.subject}  {layout.where(f.source)}" for f in findings]
    return lines


def _header(report: CheckReport, layout: _Layout = _Layout()) -> list[str]:
    inputs = report.inputs
    paths = ", ".join(layout.path(p) for p in inputs.paths)
    lines = [f"archfit check: {_plural(len(report.workloads), 'workload')} in {paths}"]
    if report.nodes:
        archs = Counter(n.arch for n in report.nodes)
        mix = ", ".join(f"{count} {arch}" for arch, count in sorted(archs.items()))
        name = f"{inputs.cluster_name}: " if inputs.cluster_name else ""
        origin = f" from {inputs.cluster}" if inputs.cluster else ""
        lines.append(f"  cluster    {name}{_plural(len(report.nodes), 'node')} ({mix}){origin}")
    else:
        lines.append("  cluster    none given: nodes are not checked")
    images = {str(u.info.ref) if u.info else u.image: u for v in report.workloads for u in v.images}
    resolved = sum(1 for u in images.values() if u.info is not None and u.info.status == "resolved")
    lines.append(
        f"  images     {resolved} of {len(images)} resolved"
        + (f" from {inputs.lockfile}" if inputs.lockfile else "")
    )
    lines.append(f"  policy     {inputs.config or 'built-in defaults (no archfit.yaml found)'}")
    entries = Counter(v.workload.entry_point for v in report.workloads if v.workload.entry_point)
    if entries:
        each = ", ".join(f"{name} ({_plural(n, 'workload')})" for name, n in entries.items())
        lines.append(f"  entries    {each}")
    lines.append("")
    lines += textwrap.wrap(
        "For each workload: the architectures all of its images ship, the nodes that would "
        "accept one of its pods once archfit's placement is applied (taints, selectors, "
        "affinity and resources, as kube-scheduler filters them), and what is wrong.",
        layout.width,
    )
    return lines


def _summary(report: CheckReport, fail_on: str, width: int = WIDTH) -> list[str]:
    counts = report.counts()
    parts = [
        _plural(counts["error"], "error"),
        _plural(counts["warning"], "warning"),
        f"{counts['info']} info",
    ]
    lines = [f"Summary: {_plural(len(report.workloads), 'workload')}, {', '.join(parts)}."]
    if fail_on == "never":
        lines.append("Exit code 0: --fail-on never.")
    else:
        threshold = severity_rank(fail_on)
        failing = sum(1 for f in report.all_findings if severity_rank(f.severity) >= threshold)
        if failing:
            lines.append(
                f"Exit code 1: {_plural(failing, 'finding')} at or above --fail-on {fail_on}."
            )
        else:
            lines.append(f"Exit code 0: nothing at or above --fail-on {fail_on}.")
    if any(v.placement.required or v.placement.preferred for v in report.workloads):
        lines += textwrap.wrap(
            "The placements behind MAY RUN ON (required and preferred node affinity) are in "
            "`--format json`; `archfit fix` writes them into the manifests.",
            width,
        )
    return lines


def check_report_text(
    report: CheckReport,
    *,
    fail_on: str = "error",
    width: int | None = None,
    cwd: str | None = None,
) -> str:
    """The report; `width` caps line length (at most 100, at least 60), `cwd` makes the paths
    under it relative."""
    layout = _Layout(max(60, min(WIDTH, width or WIDTH)), cwd)
    lines = _header(report, layout)
    lines.append("")
    lines += _table(report)
    findings = report.all_findings
    for severity in reversed(SEVERITIES):
        group = [f for f in findings if f.severity == severity]
        if not group:
            continue
        lines.append("")
        lines.append(f"{_HEADINGS[severity]} ({len(group)})")
        for entry in _entries(group):
            lines += _finding(entry[0], layout) if len(entry) == 1 else _grouped(entry, layout)
    lines.append("")
    lines += _summary(report, fail_on, layout.width)
    return "\n".join(lines) + "\n"
