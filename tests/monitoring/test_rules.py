"""The rules parse, every alert is unit-tested by promtool, and the shipped copies agree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.monitoring.conftest import CHART_FILES, MONITORING

RULES = MONITORING / "archfit.rules.yaml"
TESTS = Path(__file__).parent / "archfit_alerts_test.yaml"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


def test_rules_pass_promtool_check(promtool: str) -> None:
    result = _run(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 22 rules found" in result.stdout


def test_every_alert_has_promtool_unit_tests(promtool: str) -> None:
    result = _run(promtool, "test", "rules", str(TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    alerts = {
        rule["alert"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    tested = yaml.safe_load(TESTS.read_text())["tests"]
    firing = {
        case["alertname"]
        for test in tested
        for case in test.get("alert_rule_test", ())
        if case["exp_alerts"]
    }
    silent = {
        case["alertname"]
        for test in tested
        for case in test.get("alert_rule_test", ())
        if not case["exp_alerts"]
    }
    assert alerts == firing == silent
    assert len(alerts) == 8


def test_alerts_carry_summary_description_and_runbook() -> None:
    anchors = {
        line[4:].strip().lower()
        for line in (MONITORING.parents[1] / "docs" / "alerts.md").read_text().splitlines()
        if line.startswith("### ")
    }
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            notes = rule["annotations"]
            assert notes["summary"], rule["alert"]
            assert notes["description"], rule["alert"]
            url = notes["runbook_url"]
            assert url.endswith(f"docs/alerts.md#{rule['alert'].lower()}"), url
            assert rule["alert"].lower() in anchors, f"docs/alerts.md has no ### {rule['alert']}"
            assert rule["labels"]["severity"] in {"info", "warning", "critical"}


def test_shipped_copies_are_identical() -> None:
    for name in ("archfit.rules.yaml", "archfit-dashboard.json"):
        assert (CHART_FILES / name).read_bytes() == (MONITORING / name).read_bytes(), name
    wrapped = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    assert wrapped["apiVersion"] == "monitoring.coreos.com/v1"
    assert wrapped["kind"] == "PrometheusRule"
    assert wrapped["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"]
