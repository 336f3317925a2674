"""Mirrors: archfit asks the endpoint the node pulls from (k3s registries.yaml, containerd
hosts.toml). The upstream names used here do not resolve, so any request that skipped the mirror
would fail the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.registry.helpers import platforms, resolve
from tests.integration.registry.pushing import RunningRegistry

pytestmark = pytest.mark.registry

UPSTREAM = "upstream.invalid:5000"


def test_k3s_mirror_with_rewrite(plain_registry: RunningRegistry, tmp_path: Path) -> None:
    config = tmp_path / "registries.yaml"
    config.write_text(
        f"""
mirrors:
  "{UPSTREAM}":
    endpoint: ["http://{plain_registry.host}"]
    rewrite:
      "^team/(.*)$": "$1"
"""
    )
    run = resolve(
        [f"{UPSTREAM}/team/multi:oci", f"{UPSTREAM}/team/single:armv7"],
        None,
        registries_yaml=config,
    )
    index, single = run.results
    assert index.ok, index.error
    assert index.digest == plain_registry.images["multi:oci"].digest
    assert platforms(single) == ["linux/arm/v7"]


def test_containerd_hosts_toml_pull_only_mirror(
    plain_registry: RunningRegistry, tmp_path: Path
) -> None:
    """A pull-only mirror serves content by digest; tags are resolved by the next host."""
    certs_d = tmp_path / "certs.d"
    (certs_d / UPSTREAM).mkdir(parents=True)
    (certs_d / UPSTREAM / "hosts.toml").write_text(
        f"""
server = "http://{plain_registry.host}"

[host."http://{plain_registry.host}"]
  capabilities = ["pull"]
"""
    )
    run = resolve([f"{UPSTREAM}/multi:docker"], None, hosts_dir=certs_d)
    result = run.results[0]
    assert result.ok, result.error
    assert result.digest == plain_registry.images["multi:docker"].digest
    assert run.requests == {"GET manifest": 1}


def test_a_failing_mirror_falls_back_to_the_registry(
    plain_registry: RunningRegistry, tmp_path: Path
) -> None:
    config = tmp_path / "registries.yaml"
    config.write_text(
        f"""
mirrors:
  "{plain_registry.host}":
    endpoint: ["http://127.0.0.1:9/"]
"""
    )
    result = resolve([plain_registry.ref("single:amd64")], None, registries_yaml=config).results[0]
    assert result.ok, result.error
    assert platforms(result) == ["linux/amd64"]


def test_k3s_configs_give_tls_and_auth_to_a_registry(
    tls_registry: RunningRegistry, tmp_path: Path
) -> None:
    from tests.integration.registry.conftest import TLS_USER

    config = tmp_path / "registries.yaml"
    config.write_text(
        f"""
configs:
  "{tls_registry.host}":
    auth: {{username: {TLS_USER[0]}, password: "{TLS_USER[1]}"}}
    tls: {{ca_file: "{tls_registry.ca}"}}
"""
    )
    result = resolve([tls_registry.ref("private/app:1")], None, registries_yaml=config).results[0]
    assert result.ok, result.error
    assert platforms(result) == ["linux/amd64", "linux/arm64"]


def test_k3s_mirror_on_tls_with_its_own_credentials(
    tls_registry: RunningRegistry, tmp_path: Path
) -> None:
    from tests.integration.registry.conftest import TLS_USER

    config = tmp_path / "registries.yaml"
    config.write_text(
        f"""
mirrors:
  "{UPSTREAM}":
    endpoint: ["https://{tls_registry.host}"]
configs:
  "{tls_registry.host}":
    auth: {{username: {TLS_USER[0]}, password: "{TLS_USER[1]}"}}
    tls: {{ca_file: "{tls_registry.ca}"}}
"""
    )
    result = resolve([f"{UPSTREAM}/private/app:1"], None, registries_yaml=config).results[0]
    assert result.ok, result.error
    assert result.digest == tls_registry.images["private/app:1"].digest
