"""The webhook's objects as rendered: admission configurations, the serving certificate, the
Deployment's arguments and hardening, and the RBAC it gets. Expected values are written out by
hand from the chart's contract (docs/helm-chart.md)."""

from __future__ import annotations

import base64
import contextlib
import ssl
from pathlib import Path
from typing import Any

import pytest
from tests.unit.deploy._chart import SCENARIOS, one, render

SELECTOR = {
    "app.kubernetes.io/name": "archfit",
    "app.kubernetes.io/instance": "archfit",
    "app.kubernetes.io/component": "webhook",
}
NAMESPACE_SELECTOR = {
    "matchExpressions": [
        {
            "key": "kubernetes.io/metadata.name",
            "operator": "NotIn",
            "values": ["archfit", "kube-system"],
        },
        {"key": "archfit.dev/webhook", "operator": "NotIn", "values": ["disabled"]},
    ]
}
OBJECT_SELECTOR = {
    "matchExpressions": [
        {"key": "archfit.dev/webhook", "operator": "NotIn", "values": ["disabled"]}
    ]
}


def _without_ca(webhook: dict[str, Any]) -> dict[str, Any]:
    client = {k: v for k, v in webhook["clientConfig"].items() if k != "caBundle"}
    return {**webhook, "clientConfig": client}


def test_mutating_webhook_for_pods_and_ephemeral_containers() -> None:
    config = one(render({}), "MutatingWebhookConfiguration", "archfit-webhook")

    assert [_without_ca(w) for w in config["webhooks"]] == [
        {
            "name": "pods.mutate.archfit.dev",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": "Ignore",
            "timeoutSeconds": 5,
            "matchPolicy": "Equivalent",
            "reinvocationPolicy": "IfNeeded",
            "clientConfig": {
                "service": {
                    "name": "archfit-webhook",
                    "namespace": "archfit",
                    "path": "/mutate",
                    "port": 443,
                }
            },
            "rules": [
                {
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE"],
                    "resources": ["pods"],
                    "scope": "Namespaced",
                },
                {
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "operations": ["UPDATE"],
                    "resources": ["pods/ephemeralcontainers"],
                    "scope": "Namespaced",
                },
            ],
            "namespaceSelector": NAMESPACE_SELECTOR,
            "objectSelector": OBJECT_SELECTOR,
        }
    ]


def test_validating_webhook_for_controllers() -> None:
    config = one(render({}), "ValidatingWebhookConfiguration", "archfit-webhook")

    assert [_without_ca(w) for w in config["webhooks"]] == [
        {
            "name": "workloads.validate.archfit.dev",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": "Ignore",
            "timeoutSeconds": 5,
            "matchPolicy": "Equivalent",
            "clientConfig": {
                "service": {
                    "name": "archfit-webhook",
                    "namespace": "archfit",
                    "path": "/validate",
                    "port": 443,
                }
            },
            "rules": [
                {
                    "apiGroups": ["apps"],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"],
                    "scope": "Namespaced",
                },
                {
                    "apiGroups": ["batch"],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["jobs", "cronjobs"],
                    "scope": "Namespaced",
                },
            ],
            "namespaceSelector": NAMESPACE_SELECTOR,
            "objectSelector": OBJECT_SELECTOR,
        }
    ]


def test_more_namespaces_excluded_and_another_opt_out_label() -> None:
    values = {
        "excludedNamespaces": ["flux-system", "kube-system"],
        "optOutLabel": {"key": "example.com/archfit", "value": "off"},
    }
    objects = render(values)

    expected = {
        "matchExpressions": [
            {
                "key": "kubernetes.io/metadata.name",
                "operator": "NotIn",
                "values": ["archfit", "kube-system", "flux-system"],
            },
            {"key": "example.com/archfit", "operator": "NotIn", "values": ["off"]},
        ]
    }
    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        (webhook,) = one(objects, kind)["webhooks"]
        assert webhook["namespaceSelector"] == expected
        assert webhook["objectSelector"] == {"matchExpressions": expected["matchExpressions"][1:]}


def _handshake(server: ssl.SSLContext, client: ssl.SSLContext, host: str) -> str:
    """A TLS handshake in memory between the two contexts; returns the negotiated version."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    tls_client = client.wrap_bio(c_in, c_out, server_hostname=host)
    tls_server = server.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        for side in (tls_client, tls_server):
            with contextlib.suppress(ssl.SSLWantReadError):
                side.do_handshake()
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if tls_client.version() and tls_server.version():
            break
    # Raises (ssl.SSLCertVerificationError) here when the client does not trust the server.
    tls_client.do_handshake()
    return str(tls_client.version())


def test_self_signed_certificate_verifies_for_the_service_name(tmp_path: Path) -> None:
    objects = render({})
    secret = one(objects, "Secret", "archfit-webhook-tls")
    data = {k: base64.b64decode(v) for k, v in secret["data"].items()}
    assert secret["type"] == "kubernetes.io/tls"
    assert set(data) == {"ca.crt", "tls.crt", "tls.key"}
    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        (webhook,) = one(objects, kind)["webhooks"]
        assert base64.b64decode(webhook["clientConfig"]["caBundle"]) == data["ca.crt"]

    (tmp_path / "tls.crt").write_bytes(data["tls.crt"])
    (tmp_path / "tls.key").write_bytes(data["tls.key"])
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "tls.crt", tmp_path / "tls.key")
    client = ssl.create_default_context(cadata=data["ca.crt"].decode())

    # The name the API server dials: <service>.<namespace>.svc.
    assert _handshake(server, client, "archfit-webhook.archfit.svc") in {"TLSv1.2", "TLSv1.3"}
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        _handshake(server, client, "archfit-webhook.default.svc")


def test_cert_manager_injects_the_ca() -> None:
    objects = render(SCENARIOS["cert-manager"])

    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        config = one(objects, kind)
        assert config["metadata"]["annotations"] == {
            "cert-manager.io/inject-ca-from": "archfit/archfit-webhook-cert"
        }
        (webhook,) = config["webhooks"]
        assert "caBundle" not in webhook["clientConfig"]
    deployment = one(objects, "Deployment", "archfit-webhook")
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert volumes[0] == {"name": "tls", "secret": {"secretName": "archfit-webhook-tls"}}


def _pod(objects: list[dict[str, Any]]) -> dict[str, Any]:
    pod: dict[str, Any] = one(objects, "Deployment", "archfit-webhook")["spec"]["template"]
    return pod


def test_webhook_arguments() -> None:
    (container,) = _pod(render({}))["spec"]["containers"]

    assert container["image"] == "ghcr.io/archfit/archfit:0.1.0"
    assert container["args"] == [
        "webhook",
        "--listen",
        "0.0.0.0:8443",
        "--tls-cert-file",
        "/etc/archfit/tls/tls.crt",
        "--tls-private-key-file",
        "/etc/archfit/tls/tls.key",
        "--config",
        "/etc/archfit/config/archfit.yaml",
        "--cache-dir",
        "/var/cache/archfit",
        "--fallback-arch",
        "amd64",
    ]


def test_webhook_arguments_with_every_option() -> None:
    values = {
        "lockfile": {"configMap": "archfit-lock", "key": "lock"},
        "webhook": {"denyDaemonSetArchGaps": True, "verifiedTaint": True, "fallbackArch": ""},
        "image": {"digest": "sha256:" + "ab" * 32},
    }
    spec = _pod(render(values))["spec"]
    (container,) = spec["containers"]

    assert container["image"] == "ghcr.io/archfit/archfit@sha256:" + "ab" * 32
    assert container["args"][7:] == [
        "--config",
        "/etc/archfit/config/archfit.yaml",
        "--lock",
        "/etc/archfit/lock/archfit.lock",
        "--cache-dir",
        "/var/cache/archfit",
        "--deny-daemonset-arch-gaps",
        "--verified-taint",
    ]
    assert {"name": "lock", "mountPath": "/etc/archfit/lock", "readOnly": True} in container[
        "volumeMounts"
    ]
    assert {
        "name": "lock",
        "configMap": {"name": "archfit-lock", "items": [{"key": "lock", "path": "archfit.lock"}]},
    } in spec["volumes"]


def test_webhook_pods_are_hardened() -> None:
    spec = _pod(render({}))["spec"]
    (container,) = spec["containers"]

    assert spec["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "fsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["resources"] == {
        "requests": {"cpu": "50m", "memory": "128Mi"},
        "limits": {"memory": "256Mi"},
    }
    # Writable places on the read-only root: the cache and /tmp, both emptyDirs.
    assert container["volumeMounts"] == [
        {"name": "tls", "mountPath": "/etc/archfit/tls", "readOnly": True},
        {"name": "config", "mountPath": "/etc/archfit/config", "readOnly": True},
        {"name": "cache", "mountPath": "/var/cache/archfit"},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    assert spec["volumes"][1:] == [
        {"name": "config", "configMap": {"name": "archfit-policy"}},
        {"name": "cache", "emptyDir": {"sizeLimit": "256Mi"}},
        {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}},
    ]


def test_webhook_probes_use_https_on_8443() -> None:
    (container,) = _pod(render({}))["spec"]["containers"]

    assert container["ports"] == [{"name": "https", "containerPort": 8443, "protocol": "TCP"}]
    for probe, path in (
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("startupProbe", "/healthz"),
    ):
        assert container[probe]["httpGet"] == {"path": path, "port": "https", "scheme": "HTTPS"}


def test_two_replicas_spread_over_nodes_of_both_architectures() -> None:
    objects = render({})
    deployment = one(objects, "Deployment", "archfit-webhook")
    spec = deployment["spec"]["template"]["spec"]

    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["selector"] == {"matchLabels": SELECTOR}
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    (term,) = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert term == {
        "matchExpressions": [
            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]},
            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
        ]
    }
    assert spec["affinity"]["podAntiAffinity"] == {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 100,
                "podAffinityTerm": {
                    "topologyKey": "kubernetes.io/hostname",
                    "labelSelector": {"matchLabels": SELECTOR},
                },
            }
        ]
    }
    assert spec["topologySpreadConstraints"] == [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": SELECTOR},
        }
    ]
    pdb = one(objects, "PodDisruptionBudget", "archfit-webhook")
    assert pdb["spec"] == {"minAvailable": 1, "selector": {"matchLabels": SELECTOR}}
    service = one(objects, "Service", "archfit-webhook")
    assert service["spec"]["selector"] == SELECTOR
    assert service["spec"]["ports"] == [
        {"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}
    ]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert SELECTOR.items() <= labels.items()


def test_one_replica_gets_no_disruption_budget() -> None:
    objects = render({"webhook": {"replicas": 1}})

    assert [o for o in objects if o["kind"] == "PodDisruptionBudget"] == []


def test_webhook_rbac_is_exactly_nodes_and_single_gets() -> None:
    objects = render({})
    role = one(objects, "ClusterRole", "archfit-webhook")
    binding = one(objects, "ClusterRoleBinding", "archfit-webhook")

    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "watch"]},
        {"apiGroups": [""], "resources": ["secrets", "serviceaccounts"], "verbs": ["get"]},
    ]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "archfit-webhook",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "archfit-webhook", "namespace": "archfit"}
    ]
    pod = _pod(objects)["spec"]
    assert pod["serviceAccountName"] == "archfit-webhook"
    # No Role of the webhook's: it touches nothing in its own namespace.
    assert [o["metadata"]["name"] for o in objects if o["kind"] in {"Role", "RoleBinding"}] == []


def test_webhook_can_be_left_out() -> None:
    objects = render({"webhook": {"enabled": False}})

    assert sorted({o["kind"] for o in objects if "webhook" in o["metadata"]["name"]}) == []
    kinds = {o["kind"] for o in objects}
    assert "MutatingWebhookConfiguration" not in kinds
    assert "Deployment" in kinds  # the exporter
