"""The webhook server over HTTPS, fed recorded AdmissionReviews, images from a real registry."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

from archfit.service.webhook.settings import WebhookOptions
from tests.integration.registry.pushing import RunningRegistry
from tests.integration.webhook.running import (
    ARCH,
    REQUIRED,
    Certs,
    PodReview,
    ServeWebhook,
    patched,
    required_arch,
)

pytestmark = pytest.mark.registry


def test_registry_resolved_pod_is_patched_and_warm_pod_costs_no_request(
    plain_registry: RunningRegistry, serve_webhook: ServeWebhook, pod_review: PodReview
) -> None:
    image = plain_registry.ref("single:amd64")
    body = pod_review("0001", image)
    with serve_webhook() as (_, client):
        assert client.get("/healthz").text == "ok\n"
        assert client.get("/readyz").status_code == 200
        answer = client.post("/mutate?timeout=10s", json=body).json()
        assert answer["response"]["uid"] == body["request"]["uid"]
        assert required_arch(patched(answer, body["request"]["object"])) == [["amd64"]]
        second = copy.deepcopy(body)
        second["request"]["uid"] = "second"
        before = len(plain_registry.process.access_log())
        again = client.post("/mutate?timeout=10s", json=second).json()
        assert again["response"]["uid"] == "second"
        assert again["response"]["patch"] == answer["response"]["patch"]
        assert len(plain_registry.process.access_log()) == before
        metrics = client.get("/metrics").text
    assert 'archfit_webhook_decisions_total{endpoint="mutate",outcome="patched"} 2.0' in metrics
    assert 'archfit_webhook_image_lookups_total{source="memo"} 1.0' in metrics
    assert "archfit_webhook_admission_duration_seconds_bucket" in metrics


def test_multiarch_pod_with_verified_taint_gets_the_toleration(
    plain_registry: RunningRegistry, serve_webhook: ServeWebhook, pod_review: PodReview
) -> None:
    body = pod_review("0001", plain_registry.ref("multi:oci"))
    with serve_webhook(options=WebhookOptions(verified_taint=True)) as (_, client):
        answer = client.post("/mutate", json=body).json()
    obj = patched(answer, body["request"]["object"])
    assert required_arch(obj) == []
    assert {
        "key": "archfit.dev/verified",
        "operator": "Equal",
        "value": "required",
        "effect": "NoSchedule",
    } in obj["spec"]["tolerations"]


def test_unknown_image_gets_fallback(
    plain_registry: RunningRegistry, serve_webhook: ServeWebhook, pod_review: PodReview
) -> None:
    body = pod_review("0001", plain_registry.ref("nothing:here"))
    with serve_webhook() as (_, client):
        answer = client.post("/mutate", json=body).json()
    obj = patched(answer, body["request"]["object"])
    assert required_arch(obj) == [["amd64"]]
    assert obj["metadata"]["annotations"]["archfit.dev/fallback"].startswith("unverified images")


def test_validate_warns_for_a_daemonset_and_denies_when_asked(
    plain_registry: RunningRegistry, serve_webhook: ServeWebhook, requests_dir: Path
) -> None:
    (path,) = requests_dir.glob("0022-*.json")
    body = json.loads(path.read_text(encoding="utf-8"))
    containers = body["request"]["object"]["spec"]["template"]["spec"]["containers"]
    containers[0]["image"] = plain_registry.ref("single:amd64")
    with serve_webhook(options=WebhookOptions(deny_daemonset_arch_gaps=True)) as (_, client):
        answer = client.post("/validate", json=body).json()
    response = answer["response"]
    assert response["uid"] == body["request"]["uid"]
    assert response["allowed"] is False
    assert "patch" not in response
    assert any("arm64" in w for w in response["warnings"])


POLICY = "apiVersion: archfit.dev/v1alpha1\nkind: Policy\nnodes:\n  raspberryPi: {label}\n"


def _swap(path: Path, text: str) -> None:
    """Replace the file in one step, as a ConfigMap update swaps its symlink."""
    tmp = path.with_suffix(".new")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _non_arch(answer: dict[str, Any], obj: dict[str, Any]) -> list[dict[str, Any]]:
    terms = patched(answer, obj)["spec"]["affinity"]["nodeAffinity"][REQUIRED]
    return [
        e for t in terms["nodeSelectorTerms"] for e in t["matchExpressions"] if e["key"] != ARCH
    ]


def test_policy_is_reloaded_and_a_broken_one_is_kept_out(
    serve_webhook: ServeWebhook, pod_review: PodReview, tmp_path: Path
) -> None:
    policy = tmp_path / "archfit.yaml"
    _swap(policy, POLICY.format(label="node.kubernetes.io/instance-type=raspberry-pi"))
    # the StatefulSet's postgres pod; its registry refuses connections (fallback placement)
    body = pod_review("0021", "127.0.0.1:9/library/postgres:16")
    obj = body["request"]["object"]
    with serve_webhook(config=policy) as (_, client):
        assert client.get("/readyz").status_code == 200
        first = client.post("/mutate", json=body).json()
        assert _non_arch(first, obj) == [
            {
                "key": "node.kubernetes.io/instance-type",
                "operator": "NotIn",
                "values": ["raspberry-pi"],
            }
        ]
        # Another label the recorded Pis carry (a label no node carries would leave the Pi rules
        # nothing to judge, and nothing would be written).
        _swap(policy, POLICY.format(label="kubernetes.io/storage=none"))
        deadline = time.monotonic() + 5
        while True:
            answer = client.post("/mutate", json=body).json()
            if _non_arch(answer, obj) == [
                {"key": "kubernetes.io/storage", "operator": "NotIn", "values": ["none"]}
            ]:
                break
            assert time.monotonic() < deadline, "the new policy never took effect"
            time.sleep(0.1)
        _swap(policy, "nodes: [not, a, map]\n")
        time.sleep(0.5)
        # a broken policy is logged and ignored: the last good one stays, still ready
        assert client.get("/readyz").status_code == 200
        assert _non_arch(client.post("/mutate", json=body).json(), obj) == [
            {"key": "kubernetes.io/storage", "operator": "NotIn", "values": ["none"]}
        ]


def test_certificate_rotation_is_picked_up(
    serve_webhook: ServeWebhook, webhook_certs: Certs
) -> None:
    import socket
    import ssl

    from cryptography import x509

    def served_common_name(port: int) -> str:
        context = ssl.create_default_context(cafile=str(webhook_certs.ca))
        with (
            socket.create_connection(("127.0.0.1", port)) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            der = tls.getpeercert(binary_form=True)
        assert der is not None
        cert = x509.load_der_x509_certificate(der)
        return str(cert.subject.rfc4514_string())

    with serve_webhook() as (hook, _):
        assert served_common_name(hook.port) == "CN=webhook-1"
        webhook_certs.rotate("webhook-2")
        deadline = time.monotonic() + 5
        while served_common_name(hook.port) != "CN=webhook-2":
            assert time.monotonic() < deadline, "the rotated certificate was never served"
            time.sleep(0.1)
