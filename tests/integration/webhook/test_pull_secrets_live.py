"""Pull secrets at admission: the pod's own and its service account's, read with `get` from a
replayed API server, against a real registry with htpasswd basic auth."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archfit.model.node import Node
from archfit.service.webhook.server import ServerConfig
from archfit.service.webhook.settings import WebhookOptions
from tests.integration.kube.replay import ReplayServer, Response, write_kubeconfig
from tests.integration.kube.replay import make_certs as make_api_certs
from tests.integration.registry.conftest import TLS_USER, tls_registry  # noqa: F401 - fixture
from tests.integration.registry.pushing import RunningRegistry
from tests.integration.registry.support import CertificateSet
from tests.integration.webhook.running import (
    Certs,
    RunningWebhook,
    patched,
    required_arch,
    server_config,
)

pytestmark = pytest.mark.registry

SA_PATH = "/api/v1/namespaces/demo/serviceaccounts/puller"
SECRET_PATH = "/api/v1/namespaces/demo/secrets/regcred"


def _json(status: int, doc: dict[str, Any]) -> Response:
    return Response(status, json.dumps(doc).encode())


def _status(code: int, reason: str) -> Response:
    return _json(
        code,
        {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code},
    )


def _secret(host: str) -> dict[str, Any]:
    auth = base64.b64encode(f"{TLS_USER[0]}:{TLS_USER[1]}".encode()).decode()
    config = json.dumps({"auths": {host: {"auth": auth}}})
    return {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"name": "regcred", "namespace": "demo"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(config.encode()).decode()},
    }


SERVICE_ACCOUNT = {
    "kind": "ServiceAccount",
    "apiVersion": "v1",
    "metadata": {"name": "puller", "namespace": "demo"},
    "imagePullSecrets": [{"name": "regcred"}],
}


@pytest.fixture
def api(shared_dir: Path, tmp_path: Path) -> Iterator[tuple[ReplayServer, Path]]:
    (tmp_path / "api").mkdir()
    certs = make_api_certs(tmp_path / "api")
    server = ReplayServer.start(shared_dir / "fixtures" / "apiserver", certs)
    try:
        yield server, write_kubeconfig(tmp_path / "kubeconfig", server.url, certs)
    finally:
        server.stop()


@dataclass(frozen=True)
class World:
    api: ReplayServer
    registry: RunningRegistry
    config: ServerConfig
    hook_ca: Path


@pytest.fixture
def world(
    *,
    tls_registry: RunningRegistry,  # noqa: F811 - fixture
    certs: CertificateSet,
    api: tuple[ReplayServer, Path],
    webhook_certs: Certs,
    recorded_nodes: tuple[Node, ...],
    tmp_path: Path,
) -> World:
    server, kubeconfig = api
    config = server_config(
        webhook_certs,
        recorded_nodes,
        tmp_path,
        ca_file=str(certs.ca_cert),
        kubeconfig=kubeconfig,
        # generous: the machine running the tests is shared and loaded
        options=WebhookOptions(registry_budget=4.0),
    )
    return World(server, tls_registry, config, webhook_certs.ca)


def _pod(requests_dir: Path, image: str) -> dict[str, Any]:
    """Review 0002 (imagePullSecrets regcred, service account puller) with one private image."""
    (path,) = requests_dir.glob("0002-*.json")
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    spec = body["request"]["object"]["spec"]
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]
    assert spec["serviceAccountName"] == "puller"
    spec["containers"] = [dict(spec["containers"][0], image=image)]
    spec.pop("initContainers", None)
    return body


def test_pod_secret_resolves_the_private_image(world: World, requests_dir: Path) -> None:
    server, registry = world.api, world.registry
    server.add("GET", SA_PATH, {}, _json(200, SERVICE_ACCOUNT))
    server.add("GET", SECRET_PATH, {}, _json(200, _secret(registry.host)))
    body = _pod(requests_dir, registry.ref("private/app:1"))
    config = world.config
    with RunningWebhook(config) as hook, hook.client(world.hook_ca) as client:
        answer = client.post("/mutate?timeout=10s", json=body).json()
    response = answer["response"]
    assert response["uid"] == body["request"]["uid"]
    # amd64 + arm64 verified: the pod's two own terms get no arch restriction, no fallback
    assert required_arch(patched(answer, body["request"]["object"])) == [[], []]
    assert not any("fallback" in w or "not verified" in w for w in response.get("warnings", []))
    methods = {(r.method, r.path) for r in server.received}
    assert ("GET", SA_PATH) in methods
    assert ("GET", SECRET_PATH) in methods
    assert all(r.method == "GET" and "watch" not in r.query for r in server.received)
    assert not any(r.path.endswith("/secrets") for r in server.received)  # never a list
    assert TLS_USER[1] not in json.dumps(answer)


def test_unreadable_secret_gives_the_fallback_and_a_warning(
    world: World, requests_dir: Path
) -> None:
    server, registry = world.api, world.registry
    server.add("GET", SA_PATH, {}, _json(200, SERVICE_ACCOUNT))
    server.add("GET", SECRET_PATH, {}, _status(403, "Forbidden"))
    body = _pod(requests_dir, registry.ref("private/app:1"))
    config = world.config
    with RunningWebhook(config) as hook, hook.client(world.hook_ca) as client:
        answer = client.post("/mutate?timeout=10s", json=body).json()
    response = answer["response"]
    assert response["allowed"] is True
    assert required_arch(patched(answer, body["request"]["object"])) == [["amd64"], ["amd64"]]
    assert "archfit: Secret demo/regcred is not readable (403); not used" in response["warnings"]


def test_second_pod_without_the_secret_does_not_reuse_the_private_answer(
    world: World, requests_dir: Path
) -> None:
    server, registry = world.api, world.registry
    server.add("GET", SA_PATH, {}, _json(200, SERVICE_ACCOUNT))
    server.add("GET", SECRET_PATH, {}, _json(200, _secret(registry.host)))
    first = _pod(requests_dir, registry.ref("private/app:1"))
    second = copy.deepcopy(first)
    second["request"]["uid"] = "second-pod"
    second["request"]["namespace"] = "other"
    obj = second["request"]["object"]
    obj["metadata"]["namespace"] = "other"
    obj["spec"].pop("imagePullSecrets")
    obj["spec"]["serviceAccountName"] = "default"
    server.add(
        "GET", "/api/v1/namespaces/other/serviceaccounts/default", {}, _status(404, "NotFound")
    )
    config = world.config
    with RunningWebhook(config) as hook, hook.client(world.hook_ca) as client:
        one = client.post("/mutate?timeout=10s", json=first).json()
        two = client.post("/mutate?timeout=10s", json=second).json()
        three = client.post("/mutate?timeout=10s", json=first).json()
    assert required_arch(patched(one, first["request"]["object"])) == [[], []]
    assert two["response"]["uid"] == "second-pod"
    assert required_arch(patched(two, obj)) == [["amd64"], ["amd64"]]
    assert any("ServiceAccount other/default not found" in w for w in two["response"]["warnings"])
    # the first pod's credential set still has its answer
    assert required_arch(patched(three, first["request"]["object"])) == [[], []]
