"""The check's half of the HTML report: the compatibility matrix and the findings.

Large inputs are paged, not cut: every matrix row is in the document (the script shows 100 at a
time); findings are listed up to `FINDINGS_PER_KIND` per id, the rest counted, because 5,000
workloads can carry tens of thousands of them and the JSON report has them all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from archfit.model.check import CheckReport, WorkloadVerdict
from archfit.model.finding import SEVERITIES, Finding, severity_rank
from archfit.report.check_text import describe_nodes
from archfit.report.finding_help import finding_doc_url, finding_help
from archfit.report.html_page import esc

__all__ = ["FINDINGS_PER_KIND", "cluster_architectures", "findings_section", "matrix_section"]

FINDINGS_PER_KIND = 200

Cell = tuple[str, str]  # (CSS class, text)


def cluster_architectures(report: CheckReport) -> list[str]:
    """The inventory's architectures, or the images' when there is no inventory."""
    archs = sorted({n.arch for n in report.nodes})
    return archs or ["amd64", "arm64"]


def arch_cells(verdict: WorkloadVerdict, archs: Sequence[str]) -> list[Cell]:
    """Per architecture: whether every runtime image ships it (`ships`), one lacks it
    (`does not`), or an image is not resolved and nothing says it lacks it (`unknown`)."""
    common: set[str] | None = None
    unresolved = False
    for use in verdict.images:
        if use.kind == "ephemeral":
            continue
        if use.info is None or use.info.status != "resolved":
            unresolved = True
            continue
        shipped = {p.architecture for p in use.info.linux_platforms}
        common = shipped if common is None else common & shipped
    cells: list[Cell] = []
    for arch in archs:
        if common is not None and arch not in common:
            cells.append(("not", "does not"))
        elif common is None or unresolved:
            cells.append(("unknown", "unknown"))
        else:
            cells.append(("ships", "ships"))
    return cells


def _why(verdict: WorkloadVerdict, archs: Sequence[str]) -> str:
    """The placement archfit computed and the rules behind the workload's findings (HTML)."""
    parts = []
    allowed = verdict.allowed_architectures
    if allowed is not None:
        # The cluster's architectures; others the images ship are only counted.
        shown = sorted(allowed & set(archs))
        others = len(allowed) - len(shown)
        more = f" (+{others} the cluster lacks)" if others else ""
        names = ", ".join(shown) or ("none of the cluster's" if allowed else "none")
        parts.append(esc(f"arch rule: {names}{more}"))
    for req in verdict.placement.required:
        values = f" [{', '.join(req.values)}]" if req.values else ""
        parts.append(f"requires <code>{esc(req.key)} {esc(req.operator)}{esc(values)}</code>")
    for pref in verdict.placement.preferred:
        keys = ", ".join(r.key for r in pref.preference.match_expressions)
        parts.append(f"prefers <code>{esc(keys)}</code> (weight {pref.weight})")
    rules = sorted({f"{f.rule or 'policy'}: {f.id}" for f in verdict.findings})
    parts.extend(esc(r) for r in rules)
    if verdict.ignored:
        parts.append("ignored (archfit.dev/ignore)")
    return "<br>".join(parts)


def _reject_summary(verdict: WorkloadVerdict) -> str:
    reasons = Counter(r for reasons in verdict.rejections.values() for r in reasons)
    return "; ".join(f"{n}× {reason}" for reason, n in reasons.most_common(3))


def matrix_section(report: CheckReport) -> str:
    archs = cluster_architectures(report)
    namespaces = sorted({v.workload.namespace for v in report.workloads})
    ids = sorted({f.id for v in report.workloads for f in v.findings})
    rows = []
    for verdict in report.workloads:
        w = verdict.workload
        finding_ids = " ".join(sorted({f.id for f in verdict.findings}))
        cells = "".join(
            f'<td class="c {css}">{text}</td>' for css, text in arch_cells(verdict, archs)
        )
        where = describe_nodes(verdict.eligible_nodes, report.nodes)
        rejected = _reject_summary(verdict)
        title = f' title="{esc(rejected)}"' if rejected else ""
        rows.append(
            f'<tr data-namespace="{esc(w.namespace)}" data-findings="{esc(finding_ids)}">'
            f"<td>{esc(w.kind)}/{esc(w.namespace)}/<b>{esc(w.name)}</b></td>{cells}"
            f"<td{title}>{esc(where)}</td><td>{_why(verdict, archs)}</td>"
            f'<td class="hide-s">{esc(finding_ids) or "ok"}</td></tr>'
        )
    ns_options = "".join(f'<option value="{esc(n)}">{esc(n)}</option>' for n in namespaces)
    id_options = "".join(f'<option value="{esc(i)}">{esc(i)}</option>' for i in ids)
    head = "".join(f'<th class="c">{esc(a)}</th>' for a in archs)
    return (
        '<section id="matrix"><h2>Compatibility matrix</h2>'
        '<p class="mut">Workloads × architectures: whether every image ships the architecture '
        "(<i>unknown</i>: an image is not in archfit.lock), the nodes that would take a pod once "
        "archfit's placement is applied, and why.</p>"
        '<div id="filters" hidden><label>namespace <select name="namespace">'
        f'<option value="">all</option>{ns_options}</select></label>'
        '<label>finding <select name="finding">'
        f'<option value="">any</option>{id_options}</select></label></div>'
        '<div class="scroll"><table id="matrix-table" data-page>'
        f"<thead><tr><th>workload</th>{head}<th>may run on</th><th>why</th>"
        f'<th class="hide-s">findings</th></tr></thead><tbody>{"".join(rows)}</tbody>'
        "</table></div></section>"
    )


def _finding(finding: Finding) -> str:
    where = esc(finding.source) if finding.source is not None else "—"
    subject = f"<b>{esc(finding.subject)}</b> · " if finding.subject else ""
    fix = f'<p class="fix">fix: {esc(finding.hint)}</p>' if finding.hint else ""
    return (
        f'<div class="finding"><p>{subject}<code>{where}</code></p>'
        f"<p>{esc(finding.message)}</p>{fix}</div>"
    )


def findings_section(report: CheckReport) -> str:
    by_id: dict[str, list[Finding]] = {}
    for finding in report.all_findings:
        by_id.setdefault(finding.id, []).append(finding)
    counts = report.counts()
    summary = ", ".join(f"{counts[s]} {s}" for s in reversed(SEVERITIES))
    groups = []
    ordered = sorted(
        by_id.items(), key=lambda kv: (-max(severity_rank(f.severity) for f in kv[1]), kv[0])
    )
    for finding_id, findings in ordered:
        worst = max(findings, key=lambda f: severity_rank(f.severity)).severity
        shown = "".join(_finding(f) for f in findings[:FINDINGS_PER_KIND])
        more = len(findings) - FINDINGS_PER_KIND
        rest = (
            f'<p class="note">and {more} more (all of them: <code>archfit check --format '
            "json</code>)</p>"
            if more > 0
            else ""
        )
        groups.append(
            f'<details open id="f-{esc(finding_id)}"><summary><h3 style="display:inline">'
            f'<span class="sev-{worst}">{esc(finding_id)}</span> ({len(findings)}, {worst})'
            f'</h3></summary><p class="mut">{esc(finding_help(finding_id))} '
            f'<a href="{esc(finding_doc_url(finding_id))}">docs/findings.md</a></p>'
            f"{shown}{rest}</details>"
        )
    body = "".join(groups) or "<p>No findings.</p>"
    return (
        f'<section id="findings"><h2>Findings</h2><p class="mut">{summary}, grouped by '
        f"kind, worst first.</p>{body}</section>"
    )
