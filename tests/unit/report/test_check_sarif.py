"""SARIF rendering of findings: one rule per id with the docs' help, results at file:line,
fingerprints that survive re-runs and moved lines but not a different finding."""

from __future__ import annotations

import re
from pathlib import Path

from archfit.model.check import CheckInputs, CheckReport
from archfit.model.finding import Finding
from archfit.model.workload import SourceRef
from archfit.report.check_sarif import FINGERPRINT_KEY, check_report_sarif, finding_fingerprint
from archfit.report.finding_help import finding_doc_url, finding_help

ROOT = Path(__file__).resolve().parents[3]

MSSQL = Finding(
    "arch-mismatch",
    "error",
    "mcr.microsoft.com/mssql/server:2022 ships only amd64",
    subject="Deployment/databases/mssql",
    source=SourceRef("apps/databases/mssql.yaml", 13),
    hint="require kubernetes.io/arch In [amd64]",
    rule="arch",
)
LIGHT = Finding(
    "light-workload-not-on-pi",
    "info",
    "mosquitto could prefer the Pis",
    subject="Deployment/home/mosquitto",
    source=SourceRef("apps/home/mosquitto.yaml", 4),
    rule="light-workloads",
)
NO_LOCK = Finding("no-lockfile", "warning", "no archfit.lock", rule="inputs")


def _report(*findings: Finding) -> CheckReport:
    return CheckReport(findings=findings, inputs=CheckInputs(paths=("apps",), config=None))


def test_one_rule_per_id_and_results_at_file_line() -> None:
    other = Finding(
        "arch-mismatch",
        "error",
        "nginx ships only amd64",
        subject="Deployment/web/nginx",
        source=SourceRef("apps/web/nginx.yaml", 7),
        rule="arch",
    )
    run = check_report_sarif(_report(MSSQL, LIGHT, other), tool_version="0.1.0")["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["arch-mismatch", "light-workload-not-on-pi"]
    assert rules[1]["defaultConfiguration"] == {"level": "note"}
    assert (
        rules[0]["helpUri"]
        == "https://github.com/archfit/archfit/blob/main/docs/findings.md#arch-mismatch"
    )
    assert rules[0]["help"]["text"].startswith("An image of the workload lacks the architecture")
    results = run["results"]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in results] == [
        ("arch-mismatch", 0, "error"),
        ("light-workload-not-on-pi", 1, "note"),
        ("arch-mismatch", 0, "error"),
    ]
    physical = results[0]["locations"][0]["physicalLocation"]
    assert physical == {
        "artifactLocation": {"uri": "apps/databases/mssql.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 13},
    }
    assert results[0]["message"]["text"] == (
        "mcr.microsoft.com/mssql/server:2022 ships only amd64\n"
        "fix: require kubernetes.io/arch In [amd64]"
    )


def test_a_finding_without_a_file_is_placed_at_the_first_input() -> None:
    result = check_report_sarif(_report(NO_LOCK), tool_version="0.1.0")["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "apps", "uriBaseId": "%SRCROOT%"}
    }


def test_paths_become_uri_references() -> None:
    spaced = Finding("floating-tag", "warning", "x", source=SourceRef("my apps/a b.yaml", 2))
    absolute = Finding("floating-tag", "warning", "y", source=SourceRef("/srv/git/a.yaml", 3))
    results = check_report_sarif(_report(spaced, absolute), tool_version="0.1.0")["runs"][0][
        "results"
    ]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris == ["my%20apps/a%20b.yaml", "file:///srv/git/a.yaml"]


def test_fingerprints_ignore_lines_but_not_the_finding() -> None:
    moved = Finding(
        MSSQL.id,
        MSSQL.severity,
        MSSQL.message,
        subject=MSSQL.subject,
        source=SourceRef("apps/databases/mssql.yaml", 40),
        hint=MSSQL.hint,
        rule=MSSQL.rule,
    )
    assert finding_fingerprint(moved) == finding_fingerprint(MSSQL)
    # Known value, so that a change of the hash's inputs (which re-opens every alert) is seen.
    assert finding_fingerprint(MSSQL) == (
        "2a4363fe612c38931b3b975612c288c7b9286e6b1ef842ddcedfbba953945695"
    )
    other_workload = Finding(
        MSSQL.id, MSSQL.severity, MSSQL.message, subject="Deployment/db/other", source=MSSQL.source
    )
    assert finding_fingerprint(other_workload) != finding_fingerprint(MSSQL)
    reader = Finding("invalid-yaml", "error", "bad YAML at a.yaml:12:3", source=SourceRef("a.yaml"))
    shifted = Finding(
        "invalid-yaml", "error", "bad YAML at a.yaml:14:1", source=SourceRef("a.yaml")
    )
    assert finding_fingerprint(reader) == finding_fingerprint(shifted)
    first = check_report_sarif(_report(MSSQL, LIGHT), tool_version="0.1.0")["runs"][0]["results"]
    again = check_report_sarif(_report(MSSQL, LIGHT), tool_version="0.1.0")["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in first] == [r["partialFingerprints"] for r in again]
    assert set(first[0]["partialFingerprints"]) == {FINGERPRINT_KEY}


def test_help_is_the_first_paragraph_of_the_docs() -> None:
    text = (ROOT / "docs" / "findings.md").read_text()
    sections = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    assert len(sections) >= 14
    for section in sections:
        heading, _, body = section.partition("\n")
        paragraph = " ".join(body.strip().split("\n\n")[0].split())
        assert finding_help(heading.strip()) == paragraph, heading
        assert finding_doc_url(heading.strip()).endswith(f"#{heading.strip()}")
    assert (
        finding_doc_url("exec-format-error")
        == "https://github.com/archfit/archfit/blob/main/docs/findings.md"
    )


def test_reader_line_numbers_are_not_hashed_but_tags_are() -> None:
    at_12 = Finding("invalid-yaml", "error", "x.yaml:12: bad indentation at line 12")
    at_30 = Finding("invalid-yaml", "error", "x.yaml:30: bad indentation at line 30")
    assert finding_fingerprint(at_12) == finding_fingerprint(at_30)
    tag_a = Finding("floating-tag", "warning", "nginx:2022 floats")
    tag_b = Finding("floating-tag", "warning", "nginx:2023 floats")
    assert finding_fingerprint(tag_a) != finding_fingerprint(tag_b)
