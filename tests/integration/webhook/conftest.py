"""Fixtures of the webhook server tests: certificates from a test CA, the recorded cluster's
nodes and admission reviews, a server started on them, and the real registries of
`tests/integration/registry` (reused, seeded the same way)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from archfit.model.k8s import node_from_k8s
from archfit.model.node import Node
from tests.integration.registry.conftest import certs, plain_registry  # noqa: F401 - fixtures
from tests.integration.webhook.running import (
    Certs,
    PodReview,
    RunningWebhook,
    ServeWebhook,
    make_certs,
    review_with_image,
    server_config,
)


@pytest.fixture
def webhook_certs(tmp_path: Path) -> Certs:
    directory = tmp_path / "tls"
    directory.mkdir()
    return make_certs(directory)


@pytest.fixture(scope="session")
def recorded_nodes(shared_dir: Path) -> tuple[Node, ...]:
    path = shared_dir / "fixtures/scheduler/cases/01-arch-required-affinity/nodes.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(node_from_k8s(item) for item in doc["items"])


@pytest.fixture(scope="session")
def requests_dir(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "admission" / "requests"


@pytest.fixture
def serve_webhook(
    webhook_certs: Certs, recorded_nodes: tuple[Node, ...], tmp_path: Path
) -> ServeWebhook:
    @contextmanager
    def serve(**fields: Any) -> Iterator[tuple[RunningWebhook, httpx2.Client]]:
        config = server_config(webhook_certs, recorded_nodes, tmp_path, **fields)
        with RunningWebhook(config) as hook, hook.client(webhook_certs.ca) as client:
            yield hook, client

    return serve


@pytest.fixture
def pod_review(requests_dir: Path) -> PodReview:
    def review(number: str, image: str) -> dict[str, Any]:
        return review_with_image(requests_dir, number, image)

    return review
