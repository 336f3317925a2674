"""The JSON outputs of `check` and `simulate` against their published schemas (docs/schema/),
and SARIF output against the official SARIF 2.1.0 schema (vendored in tests/fixtures/sarif)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from archfit.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schema"
SARIF_SCHEMA = ROOT / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
EXAMPLE = "examples/homelab"


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


def _output(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    main(list(args))
    out, err = capsys.readouterr()
    assert out, err
    return json.loads(out)


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_check_json_matches_its_schema(in_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = _output(capsys, "check", EXAMPLE, "--format", "json")
    assert report["schemaVersion"] == 1
    _validator("check.schema.json").validate(report)


def test_check_schema_rejects_a_broken_report(
    in_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _output(capsys, "check", EXAMPLE, "--format", "json")
    validator = _validator("check.schema.json")
    missing = copy.deepcopy(report)
    del missing["workloads"][0]["eligible_nodes"]
    assert not validator.is_valid(missing)
    wrong = copy.deepcopy(report)
    wrong["findings"][0]["severity"] = "fatal"
    assert not validator.is_valid(wrong)
    unversioned = copy.deepcopy(report)
    del unversioned["schemaVersion"]
    assert not validator.is_valid(unversioned)


def test_simulate_json_matches_its_schema(
    in_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _output(capsys, "simulate", EXAMPLE, "--format", "json", "--fail-each", "--suggest")
    assert report["schemaVersion"] == 1
    assert "sweep" in report
    assert "suggestions" in report
    validator = _validator("simulate.schema.json")
    validator.validate(report)
    broken = copy.deepcopy(report)
    broken["nodes"][0]["cpu"]["requested"] = "150m"
    assert not validator.is_valid(broken)


def test_simulate_explain_matches_its_schema(
    in_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _output(capsys, "simulate", EXAMPLE, "--format", "json", "--explain")
    _validator("simulate.schema.json").validate(report)


def test_check_sarif_matches_the_official_schema(
    in_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _output(capsys, "check", EXAMPLE, "--format", "sarif")
    schema = json.loads(SARIF_SCHEMA.read_text())
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    jsonschema.Draft4Validator.check_schema(schema)
    validator = jsonschema.Draft4Validator(schema)
    validator.validate(log)
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert not validator.is_valid(broken)


def test_check_sarif_exit_code_follows_fail_on(
    in_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", EXAMPLE, "--format", "sarif"]) == 1
    capsys.readouterr()
    assert main(["check", EXAMPLE, "--format", "sarif", "--fail-on", "never"]) == 0
    capsys.readouterr()


def test_unknown_format_names_the_choices(
    in_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", EXAMPLE, "--format", "xml"]) == 2
    _, err = capsys.readouterr()
    assert "--format: expected one of text, json, yaml, sarif, got 'xml'" in err
