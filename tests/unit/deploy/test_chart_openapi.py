"""Every object the chart renders, in every scenario, validated against kube-apiserver 1.32's own
OpenAPI v3 schemas (strict fields, list-map keys); the custom resources of cert-manager and the
prometheus-operator, which have no schema there, checked field by field."""

from __future__ import annotations

import json

import pytest
import yaml
from tests.support.openapi import ApiSchemas, UnknownKindError
from tests.unit.deploy._chart import CHART, NAMESPACE, SCENARIOS, one, render

# Custom resources: their CRDs are not installed on the recorded server.
CUSTOM = {
    ("cert-manager.io/v1", "Issuer"),
    ("cert-manager.io/v1", "Certificate"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}


@pytest.mark.shared
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_object_matches_the_api_server_schema(api_schemas: ApiSchemas, scenario: str) -> None:
    objects = render(SCENARIOS[scenario])
    assert objects

    for obj in objects:
        key = (obj["apiVersion"], obj["kind"])
        if key in CUSTOM:
            continue
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        try:
            assert api_schemas.errors(obj) == [], where
        except UnknownKindError:
            pytest.fail(f"{where}: {key} is not served by kube-apiserver 1.32")


@pytest.mark.shared
def test_the_validator_catches_what_the_server_rejects(api_schemas: ApiSchemas) -> None:
    # The same Deployment with an unknown field, a wrong type and two ports with one key.
    deployment = one(render({}), "Deployment", "archfit-webhook")
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["replicas"] = "two"
    broken["spec"]["template"]["spec"]["nodeSelectors"] = {}
    container = broken["spec"]["template"]["spec"]["containers"][0]
    container["ports"].append({"name": "again", "containerPort": 8443, "protocol": "TCP"})

    assert api_schemas.errors(broken) == [
        "spec.replicas: 'two' is not of type 'integer'",
        "spec.template.spec.containers.0.ports: duplicate entry for key "
        "{'containerPort': 8443, 'protocol': 'TCP'}",
        "spec.template.spec: Additional properties are not allowed "
        "('nodeSelectors' was unexpected)",
    ]


def test_only_the_expected_custom_resources_are_rendered() -> None:
    kinds = {(o["apiVersion"], o["kind"]) for o in render(SCENARIOS["everything"])}
    assert kinds & CUSTOM == CUSTOM
    assert {(o["apiVersion"], o["kind"]) for o in render({})} & CUSTOM == set()


def test_cert_manager_issuer_and_certificate() -> None:
    objects = render(SCENARIOS["cert-manager"])
    issuer = one(objects, "Issuer")
    certificate = one(objects, "Certificate")

    assert issuer["metadata"] == {
        "name": "archfit-webhook-issuer",
        "namespace": NAMESPACE,
        "labels": issuer["metadata"]["labels"],
    }
    assert issuer["spec"] == {"selfSigned": {}}
    assert certificate["metadata"]["name"] == "archfit-webhook-cert"
    assert certificate["metadata"]["namespace"] == NAMESPACE
    spec = certificate["spec"]
    assert spec["secretName"] == "archfit-webhook-tls"
    assert spec["dnsNames"] == [
        "archfit-webhook",
        "archfit-webhook.archfit",
        "archfit-webhook.archfit.svc",
        "archfit-webhook.archfit.svc.cluster.local",
    ]
    assert spec["issuerRef"] == {
        "name": "archfit-webhook-issuer",
        "kind": "Issuer",
        "group": "cert-manager.io",
    }
    assert spec["usages"] == ["server auth", "digital signature"]
    assert spec["duration"] == "2160h"
    assert spec["renewBefore"] == "360h"
    assert spec["privateKey"] == {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"}
    # cert-manager writes the Secret: the chart must not render one of its own.
    assert [o for o in objects if o["kind"] == "Secret"] == []


def test_cert_manager_with_an_issuer_of_your_own() -> None:
    objects = render(
        {
            "certManager": {
                "enabled": True,
                "issuerRef": {"name": "home-ca", "kind": "ClusterIssuer"},
            }
        }
    )

    assert [o for o in objects if o["kind"] == "Issuer"] == []
    assert one(objects, "Certificate")["spec"]["issuerRef"] == {
        "name": "home-ca",
        "kind": "ClusterIssuer",
    }


def test_service_monitors_scrape_both_servers() -> None:
    objects = render(SCENARIOS["monitoring"])
    exporter = one(objects, "ServiceMonitor", "archfit-exporter")
    webhook = one(objects, "ServiceMonitor", "archfit-webhook")

    assert exporter["metadata"]["namespace"] == NAMESPACE
    assert exporter["spec"] == {
        "selector": {
            "matchLabels": {
                "app.kubernetes.io/name": "archfit",
                "app.kubernetes.io/instance": "archfit",
                "app.kubernetes.io/component": "exporter",
            }
        },
        "namespaceSelector": {"matchNames": ["archfit"]},
        "endpoints": [{"port": "metrics", "path": "/metrics", "scheme": "http", "interval": "30s"}],
    }
    assert webhook["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "webhook"
    assert webhook["spec"]["endpoints"] == [
        {
            "port": "https",
            "path": "/metrics",
            "scheme": "https",
            "interval": "30s",
            "tlsConfig": {
                "serverName": "archfit-webhook.archfit.svc",
                "ca": {"secret": {"name": "archfit-webhook-tls", "key": "ca.crt"}},
            },
        }
    ]
    # The ports named there are the ports the Services expose.
    assert one(objects, "Service", "archfit-exporter")["spec"]["ports"][0]["name"] == "metrics"
    assert one(objects, "Service", "archfit-webhook")["spec"]["ports"][0]["name"] == "https"


def test_prometheus_rule_carries_the_rules_file() -> None:
    rule = one(render(SCENARIOS["monitoring"]), "PrometheusRule")
    rules_file = yaml.safe_load((CHART / "files" / "monitoring" / "archfit.rules.yaml").read_text())

    assert rule["metadata"]["name"] == "archfit"
    assert rule["metadata"]["namespace"] == NAMESPACE
    assert set(rule) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(rule["spec"]) == {"groups"}
    assert rule["spec"]["groups"] == rules_file["groups"]
    for group in rule["spec"]["groups"]:
        assert isinstance(group["name"], str)
        assert group["name"]
        assert group["rules"]
        for each in group["rules"]:
            assert ("record" in each) != ("alert" in each), each
            assert isinstance(each["expr"], str | int)


def test_dashboard_config_map_for_the_grafana_sidecar() -> None:
    config_map = one(render(SCENARIOS["monitoring"]), "ConfigMap", "archfit-dashboard")
    dashboard = (CHART / "files" / "monitoring" / "archfit-dashboard.json").read_text()

    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["namespace"] == NAMESPACE
    assert set(config_map["data"]) == {"archfit-dashboard.json"}
    assert json.loads(config_map["data"]["archfit-dashboard.json"]) == json.loads(dashboard)


def test_dashboard_in_grafanas_namespace() -> None:
    values = {"monitoring": {"dashboard": {"enabled": True, "namespace": "grafana"}}}
    config_map = one(render(values), "ConfigMap", "archfit-dashboard")

    assert config_map["metadata"]["namespace"] == "grafana"


def test_monitoring_objects_are_opt_in() -> None:
    kinds = [o["kind"] for o in render({})]

    assert "ServiceMonitor" not in kinds
    assert "PrometheusRule" not in kinds
    assert [o["metadata"]["name"] for o in render({}) if o["kind"] == "ConfigMap"] == [
        "archfit-policy"
    ]
