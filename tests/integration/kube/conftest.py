"""Fixtures: a replay API server on loopback (TLS with a test CA) and kubeconfigs for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.kube.replay import Certs, ReplayServer, make_certs, write_kubeconfig


@pytest.fixture(scope="session")
def apiserver_fixtures(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "apiserver"


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def apiserver(apiserver_fixtures: Path, certs: Certs) -> Iterator[ReplayServer]:
    server = ReplayServer.start(apiserver_fixtures, certs)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kubeconfig(apiserver: ReplayServer, certs: Certs, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", apiserver.url, certs)
