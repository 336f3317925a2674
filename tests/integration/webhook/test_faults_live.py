"""Registry faults at admission, through the fault proxy in front of a real registry.

The image is `single:arm64` (arm64 only): had the webhook believed anything it could not
verify, the pod would be made arm64-eligible. Every fault must instead answer within the budget
with the fallback placement (amd64), a warning and the annotation.
"""

from __future__ import annotations

import socket
import time

import pytest

from archfit.service.webhook.settings import WebhookOptions
from tests.integration.registry.faults import FaultProxy
from tests.integration.registry.pushing import RunningRegistry
from tests.integration.webhook.running import (
    Certs,
    PodReview,
    ServeWebhook,
    patched,
    required_arch,
)

pytestmark = pytest.mark.registry

BUDGET = 0.5
# Seconds beyond the budget an answer may take: TLS, the policy and the proxy on a loaded box.
SLACK = 0.75


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _admit_through(
    host: str, serve_webhook: ServeWebhook, pod_review: PodReview
) -> tuple[float, dict[str, object]]:
    body = pod_review("0001", f"{host}/single:arm64")
    options = WebhookOptions(registry_budget=BUDGET, verified_taint=True)
    with serve_webhook(options=options) as (_, client):
        started = time.monotonic()
        answer = client.post("/mutate?timeout=10s", json=body).json()
        elapsed = time.monotonic() - started
    obj = patched(answer, body["request"]["object"])
    assert answer["response"]["uid"] == body["request"]["uid"]
    assert answer["response"]["allowed"] is True
    # never arm64-eligible: every required term allows amd64 only
    assert required_arch(obj) == [["amd64"]]
    assert not any(t["key"] == "archfit.dev/verified" for t in obj["spec"].get("tolerations", []))
    assert obj["metadata"]["annotations"]["archfit.dev/fallback"] == (
        f"unverified images: {host}/single:arm64"
    )
    assert any("fallback placement" in w for w in answer["response"]["warnings"])
    return elapsed, answer


def test_registry_down(serve_webhook: ServeWebhook, pod_review: PodReview) -> None:
    elapsed, _ = _admit_through(f"127.0.0.1:{_free_port()}", serve_webhook, pod_review)
    assert elapsed < BUDGET + SLACK


@pytest.mark.parametrize(
    ("fault", "behaviour"),
    [
        ("slow beyond the budget", "sleep:3"),
        ("429 with Retry-After", "429:30"),
        ("wrong digest", "corrupt"),
    ],
)
def test_registry_fault(
    plain_registry: RunningRegistry,
    serve_webhook: ServeWebhook,
    pod_review: PodReview,
    fault: str,
    behaviour: str,
) -> None:
    def misbehave(method: str, path: str, count: int) -> str | None:
        return behaviour if "/manifests/" in path else None

    with FaultProxy(plain_registry.host, misbehave) as proxy:
        elapsed, _ = _admit_through(proxy.host, serve_webhook, pod_review)
        assert proxy.seen, f"{fault}: the registry was never asked"
    assert elapsed < BUDGET + SLACK, fault


def test_concurrent_admissions_of_one_image_share_one_lookup(
    plain_registry: RunningRegistry,
    serve_webhook: ServeWebhook,
    pod_review: PodReview,
    webhook_certs: Certs,
) -> None:
    import asyncio
    import ssl

    import httpx2

    def slow(method: str, path: str, count: int) -> str | None:
        return "sleep:0.3" if "/manifests/" in path else None

    with (
        FaultProxy(plain_registry.host, slow) as proxy,
        serve_webhook() as (hook, _),
    ):
        body = pod_review("0001", f"{proxy.host}/single:amd64")

        async def many() -> list[dict[str, object]]:
            context = ssl.create_default_context(cafile=str(webhook_certs.ca))
            async with httpx2.AsyncClient(base_url=hook.url, verify=context, timeout=15) as client:
                answers = await asyncio.gather(
                    *(client.post("/mutate", json=body) for _ in range(8))
                )
            return [a.json() for a in answers]

        answers = asyncio.run(many())
        manifest_gets = [p for m, p in proxy.seen if "/manifests/" in p]
    assert len(manifest_gets) == 1
    for answer in answers:
        assert required_arch(patched(answer, body["request"]["object"])) == [["amd64"]]
