"""The exporter's objects and the policy ConfigMap both servers read, as rendered."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.unit.deploy._chart import SCENARIOS, one, render

from archfit.model.quantity import Quantity
from archfit.usecases.config import load_settings

SELECTOR = {
    "app.kubernetes.io/name": "archfit",
    "app.kubernetes.io/instance": "archfit",
    "app.kubernetes.io/component": "exporter",
}
READ = ["get", "list", "watch"]


def _container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = one(objects, "Deployment", "archfit-exporter")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def test_exporter_single_replica_by_default() -> None:
    objects = render({})
    deployment = one(objects, "Deployment", "archfit-exporter")
    container = _container(objects)

    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["selector"] == {"matchLabels": SELECTOR}
    assert container["args"] == [
        "exporter",
        "--listen",
        "0.0.0.0:9090",
        "--config",
        "/etc/archfit/config/archfit.yaml",
        "--cache-dir",
        "/var/cache/archfit",
    ]
    assert "env" not in container
    assert container["ports"] == [{"name": "metrics", "containerPort": 9090, "protocol": "TCP"}]
    for probe, path in (
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("startupProbe", "/healthz"),
    ):
        assert container[probe]["httpGet"] == {"path": path, "port": "metrics"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    service = one(objects, "Service", "archfit-exporter")
    assert service["spec"]["selector"] == SELECTOR
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}
    ]
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert ("PodDisruptionBudget", "archfit-exporter") not in kinds
    assert not any(kind in {"Role", "RoleBinding"} for kind, _ in kinds)


def test_exporter_rbac_reads_only() -> None:
    role = one(render({}), "ClusterRole", "archfit-exporter")

    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["nodes", "pods", "events"], "verbs": READ},
        {
            "apiGroups": ["apps"],
            "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"],
            "verbs": READ,
        },
        {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": READ},
    ]


def test_exporter_never_asks_for_leader_election() -> None:
    # The exporter has no --leader-election (exit 2); no value may make the chart pass it.
    for name, values in SCENARIOS.items():
        objects = render(values)
        if not values.get("exporter", {}).get("enabled", True):
            continue
        deployment = one(objects, "Deployment", "archfit-exporter")
        container = _container(objects)
        assert deployment["spec"]["replicas"] == 1, name
        assert "--leader-election" not in container["args"], name
        assert "env" not in container, name
        assert "podAntiAffinity" not in deployment["spec"]["template"]["spec"]["affinity"], name
        kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
        assert ("PodDisruptionBudget", "archfit-exporter") not in kinds, name
        assert ("Role", "archfit-exporter-leader-election") not in kinds, name
        assert ("RoleBinding", "archfit-exporter-leader-election") not in kinds, name


def test_exporter_can_be_left_out() -> None:
    objects = render({"exporter": {"enabled": False}})

    assert [o["metadata"]["name"] for o in objects if "exporter" in o["metadata"]["name"]] == []


def _policy_file(values: dict[str, Any], tmp_path: Path) -> Path:
    config_map = one(render(values), "ConfigMap", "archfit-policy")
    assert set(config_map["data"]) == {"archfit.yaml"}
    path = tmp_path / "archfit.yaml"
    path.write_text(config_map["data"]["archfit.yaml"])
    return path


def test_default_policy_is_the_built_in_one(tmp_path: Path) -> None:
    path = _policy_file({}, tmp_path)

    assert path.read_text() == "apiVersion: archfit.dev/v1alpha1\nkind: Policy\n"
    settings = load_settings(path)
    assert settings.storage.classes == ("longhorn",)
    assert settings.light.weight == 50


def test_policy_from_values_is_what_archfit_reads(tmp_path: Path) -> None:
    values = {
        "policy": {
            "storage": {"classes": ["longhorn", "ceph-rbd"]},
            "size": {"maxPiMemory": "1Gi"},
            "rules": {"disabled": ["light-workloads"], "severity": {"floating-tag": "info"}},
            "ignore": [{"workload": "*/kube-system/*", "findings": ["floating-tag"]}],
        }
    }
    settings = load_settings(_policy_file(values, tmp_path))

    assert settings.storage.classes == ("longhorn", "ceph-rbd")
    assert settings.size.max_pi_memory == Quantity(Decimal(1024**3))
    assert settings.rules.disabled == frozenset({"light-workloads"})
    assert [(e.workload, sorted(e.findings)) for e in settings.ignore] == [
        ("*/kube-system/*", ["floating-tag"])
    ]
