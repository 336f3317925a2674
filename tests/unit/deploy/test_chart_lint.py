"""`helm lint` of the chart through the Helm SDK, and its values against values.schema.json."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml
from tests.unit.deploy._chart import CHART, NAMESPACE, SCENARIOS, require_sdk

INFO, WARNING, ERROR = 1, 2, 3


def _lint(values: dict[str, Any]) -> dict[str, Any]:
    require_sdk()
    import helm_python

    report: dict[str, Any] = helm_python.lint(
        CHART, values, strict=True, namespace=NAMESPACE, kube_version="v1.32.13"
    )
    return report


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_helm_lint_strict_finds_nothing_above_info(scenario: str) -> None:
    report = _lint(SCENARIOS[scenario])

    assert report["total_charts_linted"] == 1
    assert report["errors"] == []
    # The one remaining hint is that the chart has no icon.
    assert [m for m in report["messages"] if m["severity"] >= WARNING] == []


@pytest.mark.parametrize(
    ("values", "where"),
    [
        pytest.param({"webhook": {"replicas": 0}}, "/webhook/replicas", id="zero-replicas"),
        pytest.param({"webhook": {"failurePolicy": "Deny"}}, "/webhook/failurePolicy", id="policy"),
        pytest.param({"webhook": {"timeoutSeconds": 31}}, "/webhook/timeoutSeconds", id="timeout"),
        pytest.param({"webhook": {"fallbackArch": "arm64v8"}}, "/webhook/fallbackArch", id="arch"),
        pytest.param({"exporter": {"replica": 2}}, "/exporter", id="typo"),
        # No leader election: a second exporter would export every series twice.
        pytest.param({"exporter": {"replicas": 2}}, "/exporter/replicas", id="two-exporters"),
        pytest.param(
            {"exporter": {"podDisruptionBudget": {"enabled": True, "minAvailable": 1}}},
            "/exporter",
            id="exporter-pdb",
        ),
        pytest.param({"policy": {"storage": {"clases": []}}}, "/policy/storage", id="policy-typo"),
        pytest.param({"policy": {"light": {"weight": 101}}}, "/policy/light/weight", id="weight"),
        pytest.param({"image": {"digest": "sha256:abc"}}, "/image/digest", id="digest"),
        pytest.param({"optOutLabel": {"value": "not ok"}}, "/optOutLabel/value", id="label"),
        pytest.param({"certManager": {"duration": "90 days"}}, "/certManager/duration", id="dur"),
    ],
)
def test_helm_lint_rejects_values_the_schema_forbids(values: dict[str, Any], where: str) -> None:
    report = _lint(values)

    errors = [m["error"] for m in report["messages"] if m["severity"] == ERROR]
    assert errors, report
    assert any(f"at '{where}'" in e for e in errors), errors


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((CHART / "values.schema.json").read_text())
    return schema


def _defaults() -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return values


def test_default_values_satisfy_the_schema() -> None:
    jsonschema.Draft7Validator.check_schema(_schema())
    jsonschema.Draft7Validator(_schema()).validate(_defaults())


def test_schema_allows_exactly_one_exporter() -> None:
    validator = jsonschema.Draft7Validator(_schema())
    two = {**_defaults(), "exporter": {**_defaults()["exporter"], "replicas": 2}}

    (error,) = validator.iter_errors(two)
    assert list(error.absolute_path) == ["exporter", "replicas"]
    assert error.message == "2 is greater than the maximum of 1"


def _undescribed(values: Any, schema: dict[str, Any], path: str) -> list[str]:
    """Keys of values.yaml the schema has no property for (a typo'd schema or a new value)."""
    if not isinstance(values, dict) or "properties" not in schema:
        return []
    missing = []
    for key, value in values.items():
        if key not in schema["properties"]:
            missing.append(f"{path}.{key}")
        else:
            missing += _undescribed(value, schema["properties"][key], f"{path}.{key}")
    return missing


def test_schema_describes_every_value_and_closes_every_object() -> None:
    schema = _schema()
    assert _undescribed(_defaults(), schema, "") == []

    def open_objects(node: dict[str, Any], path: str) -> list[str]:
        found = []
        if "properties" in node and node.get("additionalProperties") is not False:
            found.append(path or "<root>")
        for key, child in node.get("properties", {}).items():
            found += open_objects(child, f"{path}.{key}")
        return found

    assert open_objects(schema, "") == []


def test_chart_metadata() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())

    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "archfit" == CHART.name
    assert chart["type"] == "application"
    assert chart["version"] == "0.1.0"
    assert chart["appVersion"] == "0.1.0"
    assert chart["kubeVersion"] == ">=1.28.0-0"


def _notes(values: dict[str, Any]) -> str:
    require_sdk()
    import helm_python

    with helm_python.Chart.load(CHART) as chart:
        rendered = chart.render(values, name="archfit", namespace=NAMESPACE, is_install=True)
    notes: str = rendered["archfit/templates/NOTES.txt"]
    return notes


def test_notes_name_the_objects_and_the_opt_out() -> None:
    notes = _notes({"excludedNamespaces": ["flux-system"]})

    assert "kubectl -n archfit rollout status deployment/archfit-webhook" in notes
    assert "every new pod outside archfit, kube-system, flux-system" in notes
    assert "kubectl label namespace NAME archfit.dev/webhook=disabled" in notes
    assert "self-signed by the chart, kept across upgrades (Secret archfit-webhook-tls)" in notes
    assert "kubectl -n archfit port-forward service/archfit-exporter 9090" in notes


def test_notes_with_cert_manager() -> None:
    notes = _notes({"certManager": {"enabled": True}})

    assert "cert-manager (Certificate archfit-webhook-cert)" in notes
    assert "Exporter (1 replica):" in notes
    assert "leader election" not in notes
