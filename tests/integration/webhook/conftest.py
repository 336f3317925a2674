"""Fixtures of the webhook server tests: certificates from a test CA, the recorded cluster's
nodes, and the real registries of `tests/integration/registry` (reused, seeded the same way)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from archfit.model.k8s import node_from_k8s
from archfit.model.node import Node
from tests.integration.registry.conftest import certs, plain_registry  # noqa: F401 - fixtures
from tests.integration.webhook.running import Certs, make_certs


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
