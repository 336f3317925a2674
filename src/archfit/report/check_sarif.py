"""The check report as SARIF 2.1.0 (`archfit check --format sarif`), for code scanning in CI.

One rule per finding id (help text from docs/findings.md, see `finding_help`), one result per
finding at the `file:line` of its source. Each result carries a `partialFingerprints` entry
computed from what the finding is about — its id, subject, file and message — and never from
its line, so that code scanning matches an alert across runs and after lines above it moved, and
does not re-open an alert that was fixed.

Findings without a source file (`no-lockfile`, live findings) are placed at the policy file, or
the first input path, so that every result has a location; with neither they have none.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import quote

from archfit.model.check import CheckReport
from archfit.model.finding import Finding
from archfit.report.finding_help import finding_doc_url, finding_help

__all__ = ["FINGERPRINT_KEY", "SARIF_SCHEMA", "check_report_sarif", "finding_fingerprint"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# Versioned so that a change of what goes into the hash can be made without colliding.
FINGERPRINT_KEY = "archfitFinding/v1"
SRCROOT = "%SRCROOT%"

_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# `x.yaml:12` or `line 12` inside a message (the manifest reader's findings) would tie the
# fingerprint to a line; those numbers are dropped before hashing (an image tag `:2022` stays).
_LINE_IN_TEXT = re.compile(r"(\.(?:ya?ml|json)):\d+(?::\d+)?|\b(line) \d+")


def _uri(path: str) -> str:
    """A relative uri-reference for a path as archfit printed it (absolute paths become file:)."""
    posix = path.replace("\\", "/")
    if posix.startswith("/"):
        return "file://" + quote(posix)
    return quote(posix.removeprefix("./"))


def finding_fingerprint(finding: Finding) -> str:
    """A hex digest of what the finding is about, independent of line numbers."""
    file = finding.source.file if finding.source is not None else ""
    parts = (
        finding.id,
        finding.subject or "",
        file,
        _LINE_IN_TEXT.sub(r"\1\2", finding.message),
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _rule(finding: Finding) -> dict[str, Any]:
    help_text = finding_help(finding.id)
    url = finding_doc_url(finding.id)
    return {
        "id": finding.id,
        "name": "".join(part.capitalize() for part in finding.id.split("-")),
        "shortDescription": {"text": finding.id.replace("-", " ")},
        "fullDescription": {"text": help_text},
        "help": {"text": help_text, "markdown": f"{help_text}\n\n[docs/findings.md]({url})"},
        "helpUri": url,
        "defaultConfiguration": {"level": _LEVELS[finding.severity]},
        "properties": {"tags": ["kubernetes", finding.rule or "archfit"]},
    }


def _location(finding: Finding, fallback: str | None) -> list[dict[str, Any]]:
    if finding.source is not None and finding.source.file:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": _uri(finding.source.file), "uriBaseId": SRCROOT}
        }
        if finding.source.line > 0:
            physical["region"] = {"startLine": finding.source.line}
    elif fallback is not None:
        physical = {"artifactLocation": {"uri": _uri(fallback), "uriBaseId": SRCROOT}}
    else:
        return []
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.subject:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.subject, "kind": "object"}]
    return [location]


def _result(finding: Finding, index: int, fallback: str | None) -> dict[str, Any]:
    text = finding.message if not finding.hint else f"{finding.message}\nfix: {finding.hint}"
    result: dict[str, Any] = {
        "ruleId": finding.id,
        "ruleIndex": index,
        "level": _LEVELS[finding.severity],
        "message": {"text": text},
        "partialFingerprints": {FINGERPRINT_KEY: finding_fingerprint(finding)},
        "properties": {"severity": finding.severity, "rule": finding.rule},
    }
    locations = _location(finding, fallback)
    if locations:
        result["locations"] = locations
    if finding.subject:
        result["properties"]["subject"] = finding.subject
    return result


def check_report_sarif(report: CheckReport, *, tool_version: str) -> dict[str, Any]:
    """The whole report as one SARIF log with one run, as JSON-ready values; `tool_version` is
    archfit's version (passed in: the package root sits above this layer)."""
    findings = report.all_findings
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for finding in findings:
        if finding.id not in index:
            index[finding.id] = len(rules)
            rules.append(_rule(finding))
    fallback = report.inputs.config or (report.inputs.paths[0] if report.inputs.paths else None)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "archfit",
                        "version": tool_version,
                        "semanticVersion": tool_version,
                        "informationUri": "https://github.com/archfit/archfit",
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, index[f.id], fallback) for f in findings],
                "invocations": [{"executionSuccessful": True}],
            }
        ],
    }
