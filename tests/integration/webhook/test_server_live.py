"""The webhook server over HTTPS, fed recorded AdmissionReviews, images from a real registry."""

from __future__ import annotations

import base64
import copy
import json
import time
from pathlib import Path
from typing import Any

import jsonpatch
import pytest

from archfit.model.node import Node
from archfit.registry import ResolverConfig
from archfit.service.webhook.server import ServerConfig
from archfit.service.webhook.settings import WebhookOptions
from tests.integration.registry.helpers import FAST
from tests.integration.registry.pushing import RunningRegistry
from tests.integration.webhook.running import Certs, RunningWebhook

pytestmark = pytest.mark.registry

ARCH = "kubernetes.io/arch"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def body_with_image(requests_dir: Path, number: str, image: str) -> dict[str, Any]:
    (path,) = requests_dir.glob(f"{number}-*.json")
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    body["request"]["object"]["spec"]["containers"][0]["image"] = image
    return body


def config(certs: Certs, nodes: tuple[Node, ...], tmp_path: Path, **kwargs: Any) -> ServerConfig:
    options = kwargs.pop("options", WebhookOptions())
    return ServerConfig(
        listen="127.0.0.1:0",
        cert_file=certs.cert,
        key_file=certs.key,
        cluster_nodes=nodes,
        options=options,
        resolver=ResolverConfig(
            settings=FAST,
            cache_dir=tmp_path / "cache",
            docker_config=Path("/nonexistent/archfit-test/config.json"),
        ),
        cert_poll=0.1,
        policy_poll=0.1,
        **kwargs,
    )


def patched(answer: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    response = answer["response"]
    ops = json.loads(base64.b64decode(response["patch"])) if "patch" in response else []
    result: dict[str, Any] = jsonpatch.JsonPatch(ops).apply(obj)
    return result


def required_arch(obj: dict[str, Any]) -> list[list[str]]:
    """The architectures each required node term allows (the terms are ORed)."""
    affinity = obj["spec"].get("affinity", {}).get("nodeAffinity", {}).get(REQUIRED)
    if not affinity:
        return []
    return [
        [v for e in term.get("matchExpressions", []) if e["key"] == ARCH for v in e["values"]]
        for term in affinity["nodeSelectorTerms"]
    ]


def test_registry_resolved_pod_is_patched_and_warm_pod_costs_no_request(
    plain_registry: RunningRegistry,
    webhook_certs: Certs,
    recorded_nodes: tuple[Node, ...],
    requests_dir: Path,
    tmp_path: Path,
) -> None:
    image = plain_registry.ref("single:amd64")
    body = body_with_image(requests_dir, "0001", image)
    with (
        RunningWebhook(config(webhook_certs, recorded_nodes, tmp_path)) as hook,
        hook.client(webhook_certs.ca) as client,
    ):
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
    plain_registry: RunningRegistry,
    webhook_certs: Certs,
    recorded_nodes: tuple[Node, ...],
    requests_dir: Path,
    tmp_path: Path,
) -> None:
    body = body_with_image(requests_dir, "0001", plain_registry.ref("multi:oci"))
    options = WebhookOptions(verified_taint=True)
    with (
        RunningWebhook(config(webhook_certs, recorded_nodes, tmp_path, options=options)) as hook,
        hook.client(webhook_certs.ca) as client,
    ):
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
    plain_registry: RunningRegistry,
    webhook_certs: Certs,
    recorded_nodes: tuple[Node, ...],
    requests_dir: Path,
    tmp_path: Path,
) -> None:
    body = body_with_image(requests_dir, "0001", plain_registry.ref("nothing:here"))
    with (
        RunningWebhook(config(webhook_certs, recorded_nodes, tmp_path)) as hook,
        hook.client(webhook_certs.ca) as client,
    ):
        answer = client.post("/mutate", json=body).json()
    obj = patched(answer, body["request"]["object"])
    assert required_arch(obj) == [["amd64"]]
    assert obj["metadata"]["annotations"]["archfit.dev/fallback"].startswith("unverified images")


def test_validate_warns_for_a_daemonset_and_denies_when_asked(
    plain_registry: RunningRegistry,
    webhook_certs: Certs,
    recorded_nodes: tuple[Node, ...],
    requests_dir: Path,
    tmp_path: Path,
) -> None:
    (path,) = requests_dir.glob("0022-*.json")
    body = json.loads(path.read_text(encoding="utf-8"))
    containers = body["request"]["object"]["spec"]["template"]["spec"]["containers"]
    containers[0]["image"] = plain_registry.ref("single:amd64")
    options = WebhookOptions(deny_daemonset_arch_gaps=True)
    with (
        RunningWebhook(config(webhook_certs, recorded_nodes, tmp_path, options=options)) as hook,
        hook.client(webhook_certs.ca) as client,
    ):
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
    webhook_certs: Certs, recorded_nodes: tuple[Node, ...], requests_dir: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "archfit.yaml"
    _swap(policy, POLICY.format(label="node.kubernetes.io/instance-type=raspberry-pi"))
    # the StatefulSet's postgres pod; its registry refuses connections (fallback placement)
    body = body_with_image(requests_dir, "0021", "127.0.0.1:9/library/postgres:16")
    obj = body["request"]["object"]
    with (
        RunningWebhook(config(webhook_certs, recorded_nodes, tmp_path, config=policy)) as hook,
        hook.client(webhook_certs.ca) as client,
    ):
        assert client.get("/readyz").status_code == 200
        first = client.post("/mutate", json=body).json()
        assert _non_arch(first, obj) == [
            {
                "key": "node.kubernetes.io/instance-type",
                "operator": "NotIn",
                "values": ["raspberry-pi"],
            }
        ]
        _swap(policy, POLICY.format(label="example.com/board=pi"))
        deadline = time.monotonic() + 5
        while True:
            answer = client.post("/mutate", json=body).json()
            if _non_arch(answer, obj) == [
                {"key": "example.com/board", "operator": "NotIn", "values": ["pi"]}
            ]:
                break
            assert time.monotonic() < deadline, "the new policy never took effect"
            time.sleep(0.1)
        _swap(policy, "nodes: [not, a, map]\n")
        time.sleep(0.5)
        # a broken policy is logged and ignored: the last good one stays, still ready
        assert client.get("/readyz").status_code == 200
        assert _non_arch(client.post("/mutate", json=body).json(), obj) == [
            {"key": "example.com/board", "operator": "NotIn", "values": ["pi"]}
        ]


def test_certificate_rotation_is_picked_up(
    webhook_certs: Certs, recorded_nodes: tuple[Node, ...], tmp_path: Path
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

    with RunningWebhook(config(webhook_certs, recorded_nodes, tmp_path)) as hook:
        assert served_common_name(hook.port) == "CN=webhook-1"
        webhook_certs.rotate("webhook-2")
        deadline = time.monotonic() + 5
        while served_common_name(hook.port) != "CN=webhook-2":
            assert time.monotonic() < deadline, "the rotated certificate was never served"
            time.sleep(0.1)
