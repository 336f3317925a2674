from __future__ import annotations

from pathlib import Path

import pytest

from archfit.registry.endpoints import api_host, default_endpoint, is_loopback
from archfit.registry.errors import RegistryConfigError
from archfit.registry.mirrors import MirrorMap, load_hosts_dir, load_registries_yaml


def test_docker_hub_api_host_is_mapped_in_one_place() -> None:
    assert api_host("docker.io") == "registry-1.docker.io"
    assert api_host("ghcr.io") == "ghcr.io"
    assert default_endpoint("docker.io").base == "https://registry-1.docker.io"
    assert MirrorMap().endpoints("docker.io")[-1].url("/x") == "https://registry-1.docker.io/v2/x"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1:5000", True),
        ("127.8.9.10", True),
        ("localhost:5000", True),
        ("[::1]:5000", True),
        ("::1", True),
        ("10.0.0.5:5000", False),
        ("192.168.1.2", False),
        ("registry.lan", False),
        ("localhost.example.com", False),
    ],
)
def test_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_plain_http_only_for_loopback_or_insecure() -> None:
    assert default_endpoint("127.0.0.1:5000").http_fallback
    assert not default_endpoint("10.0.0.5:5000").http_fallback
    assert default_endpoint("10.0.0.5:5000", insecure=True).http_fallback
    mirrors = MirrorMap(insecure=frozenset({"10.0.0.5:5000"}))
    assert mirrors.endpoints("10.0.0.5:5000")[-1].http_fallback
    assert not mirrors.endpoints("10.0.0.6:5000")[-1].http_fallback


def test_k3s_registries_yaml(tmp_path: Path) -> None:
    config = tmp_path / "registries.yaml"
    config.write_text(
        """
mirrors:
  docker.io:
    endpoint:
      - "https://mirror.lan:5000"
      - "http://plain.lan/cache"
    rewrite:
      "^library/(.*)": "hub/$1"
  "*":
    endpoint: ["https://everything.lan"]
configs:
  "mirror.lan:5000":
    auth: {username: robot, password: pw}
    tls: {ca_file: /etc/ssl/lan-ca.pem, insecure_skip_verify: false}
  "private.lan":
    tls: {insecure_skip_verify: true}
"""
    )
    mirrors = load_registries_yaml(config)
    hub = mirrors.endpoints("docker.io")
    assert [e.url("/r/manifests/t") for e in hub] == [
        "https://mirror.lan:5000/v2/r/manifests/t",
        "http://plain.lan/cache/v2/r/manifests/t",
        "https://registry-1.docker.io/v2/r/manifests/t",
    ]
    assert hub[0].credential is not None
    assert hub[0].credential.username == "robot"
    assert hub[0].tls.ca_files == ("/etc/ssl/lan-ca.pem",)
    assert hub[0].repository("library/nginx") == "hub/nginx"
    assert hub[0].repository("bitnami/redis") == "bitnami/redis"
    # The default endpoint gets no rewrites and no mirror credential.
    assert hub[-1].repository("library/nginx") == "library/nginx"
    assert hub[-1].credential is None
    assert [e.host for e in mirrors.endpoints("quay.io")] == ["everything.lan", "quay.io"]
    private = mirrors.endpoints("private.lan")[-1]
    assert private.tls.insecure_skip_verify


def test_containerd_hosts_dir(tmp_path: Path) -> None:
    hub = tmp_path / "docker.io"
    hub.mkdir()
    (hub / "hosts.toml").write_text(
        """
server = "https://registry-1.docker.io"

[host."https://pull-only.lan"]
  capabilities = ["pull"]
  ca = ["/ca1.pem", "/ca2.pem"]

[host."https://full.lan/v2/proxy/docker.io"]
  capabilities = ["pull", "resolve"]
  override_path = true
  client = [["/c.pem", "/k.pem"]]
  skip_verify = true
  [host."https://full.lan/v2/proxy/docker.io".header]
    x-mirror-token = "abc"

[host."https://push-only.lan"]
  capabilities = ["push"]
"""
    )
    default = tmp_path / "_default"
    default.mkdir()
    (default / "hosts.toml").write_text('[host."https://catch-all.lan"]\n')
    mirrors = load_hosts_dir(tmp_path)
    endpoints = mirrors.endpoints("docker.io")
    assert [(e.host, e.resolve) for e in endpoints] == [
        ("pull-only.lan", False),
        ("full.lan", True),
        ("registry-1.docker.io", True),
    ]
    assert endpoints[0].tls.ca_files == ("/ca1.pem", "/ca2.pem")
    assert endpoints[1].url("/x/manifests/y") == "https://full.lan/v2/proxy/docker.io/x/manifests/y"
    assert endpoints[1].tls.cert_file == "/c.pem"
    assert endpoints[1].tls.key_file == "/k.pem"
    assert endpoints[1].tls.insecure_skip_verify
    assert endpoints[1].headers == (("x-mirror-token", "abc"),)
    assert [e.host for e in mirrors.endpoints("ghcr.io")] == ["catch-all.lan", "ghcr.io"]


def test_bad_mirror_configuration_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "registries.yaml"
    config.write_text("mirrors:\n  docker.io:\n    endpoint: ['ftp://x']\n")
    with pytest.raises(RegistryConfigError, match=r"registries\.yaml"):
        load_registries_yaml(config)
    config.write_text("mirrors:\n  docker.io:\n    rewrite: {'(': x}\n")
    with pytest.raises(RegistryConfigError, match="bad regular expression"):
        load_registries_yaml(config)
    bad = tmp_path / "certs.d" / "x.io"
    bad.mkdir(parents=True)
    (bad / "hosts.toml").write_text("server = [")
    with pytest.raises(RegistryConfigError, match="not TOML"):
        load_hosts_dir(tmp_path / "certs.d")
