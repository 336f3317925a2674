"""The text report on a repository of many workloads: repeated findings grouped, paths relative
to the current directory, lines wrapped at the width given."""

from __future__ import annotations

from archfit.model.check import CheckInputs, CheckReport, WorkloadVerdict
from archfit.model.finding import Finding
from archfit.model.pod import Container, PodTemplate
from archfit.model.workload import SourceRef, Workload
from archfit.report.check_text import check_report_text

MESSAGE = (
    "ghcr.io/home-operations/sonarr:4.0 is not in the lockfile: its platforms are unknown, so "
    "archfit cannot tell where it runs"
)
HINT = "add it to the lockfile with `archfit lock`, or run `archfit check --resolve`"


def _verdict(name: str, file: str, message: str = MESSAGE) -> WorkloadVerdict:
    wl = Workload(
        kind="Deployment",
        namespace="media",
        name=name,
        template=PodTemplate(containers=(Container("app", "x", None),)),
        source=SourceRef(file, 3),
    )
    found = Finding("unresolved-image", "warning", message, wl.key, wl.source, HINT)
    return WorkloadVerdict(wl, findings=(found,))


def _report(*verdicts: WorkloadVerdict) -> CheckReport:
    return CheckReport(workloads=verdicts, inputs=CheckInputs(paths=("/repo/apps",)))


def _findings_section(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("WARNINGS (3)")
    end = lines.index("", start)
    return lines[start:end]


def test_one_entry_per_image_listing_the_workloads_with_relative_paths() -> None:
    report = _report(
        _verdict("sonarr", "/repo/apps/media/sonarr.yaml"),
        _verdict("other", "/elsewhere/other.yaml", message="something else entirely"),
        _verdict("sonarr-4k", "/repo/apps/media/sonarr-4k.yaml"),
    )
    text = check_report_text(report, cwd="/repo")
    assert text.startswith("archfit check: 3 workloads in apps\n")
    assert _findings_section(text) == [
        "WARNINGS (3)",
        "  unresolved-image  2 workloads",
        "    ghcr.io/home-operations/sonarr:4.0 is not in the lockfile: its platforms are unknown, "
        "so archfit",
        "      cannot tell where it runs",
        "    fix: add it to the lockfile with `archfit lock`, or run `archfit check --resolve`",
        "    - Deployment/media/sonarr  apps/media/sonarr.yaml:3",
        "    - Deployment/media/sonarr-4k  apps/media/sonarr-4k.yaml:3",
        "  unresolved-image  Deployment/media/other  /elsewhere/other.yaml:3",
        "    something else entirely",
        "    fix: add it to the lockfile with `archfit lock`, or run `archfit check --resolve`",
    ]


def test_lines_wrap_at_the_width_given() -> None:
    report = _report(
        _verdict("a", "/repo/a.yaml"), _verdict("b", "/repo/b.yaml"), _verdict("c", "/repo/c.yaml")
    )
    section = _findings_section(check_report_text(report, width=64, cwd="/repo"))
    assert section[:6] == [
        "WARNINGS (3)",
        "  unresolved-image  3 workloads",
        "    ghcr.io/home-operations/sonarr:4.0 is not in the lockfile:",
        "      its platforms are unknown, so archfit cannot tell where it",
        "      runs",
        "    fix: add it to the lockfile with `archfit lock`, or run",
    ]
    assert all(len(line) <= 64 for line in section)


def test_width_never_exceeds_the_fixed_report_width() -> None:
    report = _report(_verdict("a", "/repo/a.yaml"))
    wide = check_report_text(report, width=300, cwd="/repo")
    assert wide == check_report_text(report, cwd="/repo")
