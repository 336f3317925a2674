"""Credential sources: kubelet key matching, docker config.json with real helper programs,
Kubernetes pull secrets."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from pathlib import Path

import pytest

from archfit.registry.credentials import (
    DockerConfigProvider,
    Keyring,
    load_pull_secret_files,
    registry_matches,
)
from archfit.registry.errors import AuthenticationError, RegistryConfigError


@pytest.mark.parametrize(
    ("key", "registry", "repository", "expected"),
    [
        ("registry.example.com", "registry.example.com", "team/app", True),
        ("*.example.com", "registry.example.com", "team/app", True),
        ("*.example.com", "example.com", "team/app", False),  # label counts differ
        ("*.example.com", "a.b.example.com", "team/app", False),
        ("*.*.example.com", "a.b.example.com", "x", True),
        ("reg*.example.com", "registry.example.com", "x", True),
        ("registry.example.com:5000", "registry.example.com:5000", "x", True),
        ("registry.example.com:5000", "registry.example.com", "x", False),  # port must match
        ("registry.example.com", "registry.example.com:5000", "x", False),
        ("registry.example.com/team", "registry.example.com", "team/app", True),
        ("registry.example.com/team", "registry.example.com", "teamwork/app", False),
        ("registry.example.com/team/app", "registry.example.com", "team", False),
        ("https://index.docker.io/v1/", "docker.io", "library/nginx", True),
        ("index.docker.io", "docker.io", "library/nginx", True),
        ("docker.io", "docker.io", "library/nginx", True),
        ("https://registry.example.com/v2/", "registry.example.com", "x", True),
        ("10.0.0.5:5000", "10.0.0.5:5000", "x", True),
    ],
)
def test_kubelet_matching(key: str, registry: str, repository: str, expected: bool) -> None:
    assert registry_matches(key, registry, repository) is expected


def test_keyring_prefers_the_most_specific_key() -> None:
    ring: Keyring[str] = Keyring()
    ring.add("*.example.com", "glob")
    ring.add("registry.example.com/team/app", "path")
    ring.add("registry.example.com", "host")
    assert ring.lookup("registry.example.com", "team/app/x") == ["path", "host", "glob"]
    assert ring.lookup("registry.example.com", "other") == ["host", "glob"]
    assert ring.lookup("elsewhere.io", "x") == []


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_docker_config_auths(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "auths": {
                    "https://index.docker.io/v1/": {"auth": _auth("hubuser", "hubpass")},
                    "ghcr.io": {"username": "gh", "password": "ghp"},
                    "quay.io": {"identitytoken": "refresh-me"},
                }
            }
        )
    )
    provider = DockerConfigProvider(config)
    hub = asyncio.run(provider.lookup("docker.io", "library/nginx"))
    assert hub is not None
    assert (hub.username, hub.secret) == ("hubuser", "hubpass")
    gh = asyncio.run(provider.lookup("ghcr.io", "x/y"))
    assert gh is not None
    assert gh.secret == "ghp"
    quay = asyncio.run(provider.lookup("quay.io", "x"))
    assert quay is not None
    assert quay.identity_token
    assert asyncio.run(provider.lookup("sub.ghcr.io", "x")) is None  # docker matches hosts exactly


def test_missing_docker_config_means_no_credentials(tmp_path: Path) -> None:
    assert (
        asyncio.run(DockerConfigProvider(tmp_path / "absent.json").lookup("docker.io", "x")) is None
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"auths": {"x.io": {"auth": "%%%"}}}', "not base64"),
        ('{"auths": {"x.io": {"auth": "bm9jb2xvbg=="}}}', "user:password"),
        ('{"auths": []}', "expected a mapping"),
    ],
)
def test_malformed_docker_config(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "config.json"
    config.write_text(content)
    with pytest.raises(RegistryConfigError, match=message) as info:
        DockerConfigProvider(config)
    assert str(config) in str(info.value)


@pytest.fixture
def helper_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on PATH with real docker-credential-* programs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "helper.log"
    (bin_dir / "docker-credential-test").write_text(
        "#!/bin/sh\n"
        f'read server; echo "$1 $server" >> {log}\n'
        'case "$server" in\n'
        '  private.example.com) echo \'{"ServerURL":"private.example.com",'
        '"Username":"robot","Secret":"helper-secret"}\' ;;\n'
        '  https://index.docker.io/v1/) echo \'{"ServerURL":"x","Username":"<token>",'
        '"Secret":"refresh-token"}\' ;;\n'
        "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
        "esac\n"
    )
    (bin_dir / "docker-credential-broken").write_text("#!/bin/sh\necho boom >&2\nexit 3\n")
    (bin_dir / "docker-credential-slow").write_text(
        '#!/bin/sh\nread server; sleep "${SLOW_HELPER_SECONDS:-0.5}"\n'
        'echo \'{"ServerURL":"x","Username":"slow","Secret":"s"}\'\n'
    )
    for program in bin_dir.iterdir():
        program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log.parent


def test_credential_helpers(tmp_path: Path, helper_bin: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "credsStore": "test",
                "credHelpers": {"broken.example.com": "broken"},
                "auths": {"inline.example.com": {"auth": _auth("in", "line")}},
            }
        )
    )
    provider = DockerConfigProvider(config)
    found = asyncio.run(provider.lookup("private.example.com", "team/app"))
    assert found is not None
    assert (found.username, found.secret, found.identity_token) == (
        "robot",
        "helper-secret",
        False,
    )
    hub = asyncio.run(provider.lookup("docker.io", "library/nginx"))
    assert hub is not None
    assert hub.identity_token
    assert hub.secret == "refresh-token"
    # The store has nothing for this host: the inline entry is used.
    inline = asyncio.run(provider.lookup("inline.example.com", "x"))
    assert inline is not None
    assert inline.secret == "line"
    assert asyncio.run(provider.lookup("nothing.example.com", "x")) is None
    with pytest.raises(AuthenticationError, match="docker-credential-broken failed") as info:
        asyncio.run(provider.lookup("broken.example.com", "x"))
    assert "boom" not in str(info.value)
    # Each host was asked once: answers are remembered for the run.
    asyncio.run(provider.lookup("private.example.com", "other"))
    calls = (helper_bin / "helper.log").read_text().splitlines()
    assert calls.count("get private.example.com") == 1


def test_a_slow_helper_does_not_block_the_event_loop(tmp_path: Path, helper_bin: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credsStore": "slow"}))
    provider = DockerConfigProvider(config)
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(asyncio.get_running_loop().time())
            await asyncio.sleep(0.02)

    async def both() -> tuple[str | None, str | None]:
        task = asyncio.create_task(ticker())
        # Two images of one host resolved at once: the helper runs once.
        first, second = await asyncio.gather(
            provider.lookup("slow.example.com", "a"), provider.lookup("slow.example.com", "b")
        )
        task.cancel()
        return (first.secret if first else None), (second.secret if second else None)

    assert asyncio.run(both()) == ("s", "s")
    # The helper sleeps 0.5 s; a blocking call would have let the ticker run once or twice.
    assert len(ticks) >= 10


def test_a_hung_helper_is_stopped_at_the_timeout(
    tmp_path: Path, helper_bin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("archfit.registry.credentials.dockerconfig.HELPER_TIMEOUT", 0.2)
    monkeypatch.setenv("SLOW_HELPER_SECONDS", "30")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credsStore": "slow"}))
    started = asyncio.run(_elapsed(DockerConfigProvider(config)))
    assert started < 5


async def _elapsed(provider: DockerConfigProvider) -> float:
    loop = asyncio.get_running_loop()
    begin = loop.time()
    with pytest.raises(AuthenticationError, match=r"did not answer within 0\.2s"):
        await provider.lookup("slow.example.com", "x")
    return loop.time() - begin


def test_missing_helper_program(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credsStore": "does-not-exist-anywhere"}))
    with pytest.raises(AuthenticationError, match="not on PATH"):
        asyncio.run(DockerConfigProvider(config).lookup("docker.io", "x"))


def test_pull_secrets_both_types_with_kubelet_matching(tmp_path: Path) -> None:
    dockerconfigjson = json.dumps(
        {"auths": {"*.registry.lan": {"auth": _auth("glob", "g")}}}
    ).encode()
    dockercfg = json.dumps(
        {"registry.lan:5000/team": {"username": "legacy", "password": "l", "email": "x"}}
    ).encode()
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(
        f"""
apiVersion: v1
kind: Secret
metadata: {{name: modern}}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: {base64.b64encode(dockerconfigjson).decode()}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {{name: legacy}}
  type: kubernetes.io/dockercfg
  data:
    .dockercfg: {base64.b64encode(dockercfg).decode()}
- apiVersion: v1
  kind: Secret
  metadata: {{name: unrelated}}
  type: Opaque
  data: {{password: eA==}}
"""
    )
    provider = load_pull_secret_files([secrets])
    found = asyncio.run(provider.lookup("a.registry.lan", "x"))
    assert found is not None
    assert found.username == "glob"
    legacy = asyncio.run(provider.lookup("registry.lan:5000", "team/app"))
    assert legacy is not None
    assert legacy.username == "legacy"
    assert asyncio.run(provider.lookup("registry.lan:5000", "other/app")) is None
    assert (
        asyncio.run(provider.lookup("registry.lan", "team/app")) is None
    )  # no port: different key


def test_pull_secret_with_bad_payload_names_the_secret(tmp_path: Path) -> None:
    secrets = tmp_path / "bad.yaml"
    secrets.write_text(
        "kind: Secret\nmetadata: {name: broken}\ntype: kubernetes.io/dockerconfigjson\n"
        "data: {.dockerconfigjson: '!!notbase64'}\n"
    )
    with pytest.raises(RegistryConfigError, match="Secret broken"):
        load_pull_secret_files([secrets])
