"""The resolver against real docker-registry instances on loopback."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

import archfit
from tests.integration.registry.conftest import REFRESH_TOKEN, TLS_USER, TOKEN_USER
from tests.integration.registry.helpers import FAST, platforms, resolve
from tests.integration.registry.pushing import Pusher, RunningRegistry, push_index
from tests.integration.registry.support import RegistryProcess

pytestmark = pytest.mark.registry

LINUX_AND_WINDOWS = ["linux/amd64", "linux/arm/v7", "linux/arm64", "windows/amd64"]


def test_indexes_and_single_platform_images(
    plain_registry: RunningRegistry, cache_dir: Path
) -> None:
    reg = plain_registry
    names = [
        "multi:oci",
        "multi:docker",
        "single:amd64",
        "single:arm64",
        "single:armv7",
        "single:docker-arm64",
        "windows:only",
    ]
    run = resolve([reg.ref(n) for n in names], cache_dir)
    assert all(r.ok for r in run.results), [r.error for r in run.results]
    oci = run.by_ref(reg.ref("multi:oci"))
    assert oci.kind == "index"
    assert oci.digest == reg.images["multi:oci"].digest
    # The attestation entries are gone, the variant is kept, Windows is reported.
    assert platforms(oci) == LINUX_AND_WINDOWS
    assert dict(oci.platform_digests) == dict(reg.images["multi:oci"].children)
    docker = run.by_ref(reg.ref("multi:docker"))
    assert platforms(docker) == LINUX_AND_WINDOWS
    assert docker.digest == reg.images["multi:docker"].digest
    expected_single = {
        "single:amd64": "linux/amd64",
        "single:arm64": "linux/arm64",
        "single:armv7": "linux/arm/v7",
        "single:docker-arm64": "linux/arm64",  # config says aarch64
    }
    for name, platform in expected_single.items():
        result = run.by_ref(reg.ref(name))
        assert result.kind == "manifest"
        assert platforms(result) == [platform]
        assert result.digest == reg.images[name].digest
    assert platforms(run.by_ref(reg.ref("windows:only"))) == ["windows/amd64"]


def test_request_budget_cold_and_warm(plain_registry: RunningRegistry, cache_dir: Path) -> None:
    reg = plain_registry
    refs = [reg.ref("multi:oci"), reg.ref("multi:docker"), reg.ref("single:arm64")]
    cold = resolve(refs, cache_dir)
    assert all(r.ok for r in cold.results)
    # One manifest GET per image (by tag: no HEAD is needed for a tag never seen), one config
    # blob for the single-platform image. No child manifest is ever fetched.
    assert cold.requests == {"GET manifest": 3, "GET blob": 1}
    warm = resolve(refs, cache_dir)
    assert warm.requests == {}
    assert [r.cached for r in warm.results] == [True, True, True]
    assert [platforms(r) for r in warm.results] == [platforms(r) for r in cold.results]
    # Expired tag answers are re-checked with HEAD only: the digests are cached.
    expired = resolve(refs, cache_dir, settings=replace(FAST, tag_ttl=0.0))
    assert expired.requests == {"HEAD manifest": 3}
    assert [platforms(r) for r in expired.results] == [platforms(r) for r in cold.results]


def test_pinned_digests(plain_registry: RunningRegistry, cache_dir: Path) -> None:
    reg = plain_registry
    index = reg.images["multi:oci"]
    arm64_child = index.children["linux/arm64"]
    by_index_digest = f"{reg.host}/multi@{index.digest}"
    child_with_tag = f"{reg.host}/multi:oci@{arm64_child}"
    run = resolve([by_index_digest, child_with_tag], cache_dir)
    pinned = run.by_ref(by_index_digest)
    assert pinned.kind == "index"
    assert platforms(pinned) == LINUX_AND_WINDOWS
    assert pinned.child_of is None
    child = run.by_ref(child_with_tag)
    assert child.kind == "manifest"
    assert platforms(child) == ["linux/arm64"]
    assert child.child_of == index.digest
    # A digest-only reference to a child is recognised from the cached index, offline.
    child_only = f"{reg.host}/multi@{arm64_child}"
    again = resolve([child_only], cache_dir)
    assert again.requests == {}
    assert again.results[0].child_of == index.digest


def test_not_found_is_an_error_and_is_remembered(
    plain_registry: RunningRegistry, cache_dir: Path
) -> None:
    ref = plain_registry.ref("missing:1")
    first = resolve([ref], cache_dir)
    assert first.results[0].error_type == "ImageNotFound"
    assert first.results[0].platforms == ()
    second = resolve([ref], cache_dir)
    assert second.requests == {}
    assert second.results[0].error_type == "ImageNotFound"


def test_an_artifact_is_not_an_image(plain_registry: RunningRegistry, cache_dir: Path) -> None:
    run = resolve(
        [plain_registry.ref("artifact:sbom"), plain_registry.ref("artifact:attestation")], cache_dir
    )
    artifact, attestation = run.results
    assert artifact.error_type == "BadResponse"
    assert artifact.error is not None
    assert "not a container image (config type application/vnd.oci.empty.v1+json" in artifact.error
    assert artifact.platforms == ()
    # An image config without an architecture is an error, never a guessed amd64.
    assert attestation.error_type == "BadResponse"
    assert attestation.error is not None
    assert attestation.error.endswith("image config has no architecture")
    assert plain_registry.host in attestation.error
    assert attestation.platforms == ()


def test_stale_answer_when_the_registry_goes_down(tmp_path: Path, cache_dir: Path) -> None:
    process = RegistryProcess(tmp_path / "reg").start()
    pusher = Pusher(f"http://{process.host}")
    try:
        pushed = push_index(pusher, "app", "1", ["linux/amd64", "linux/arm64"])
        ref = f"{process.host}/app:1"
        assert resolve([ref], cache_dir).results[0].ok
    finally:
        pusher.close()
        process.stop()
    expired = replace(FAST, tag_ttl=0.0)
    run = resolve([ref, f"{process.host}/app:never-seen"], cache_dir, settings=expired)
    stale, unseen = run.results
    assert stale.stale
    assert stale.digest == pushed.digest
    assert platforms(stale) == ["linux/amd64", "linux/arm64"]
    assert unseen.error_type == "RegistryUnavailable"
    assert unseen.platforms == ()


def _docker_config(tmp_path: Path, host: str, user: str, password: str) -> Path:
    config = tmp_path / "docker-config.json"
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    config.write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return config


def test_tls_with_basic_auth(tls_registry: RunningRegistry, tmp_path: Path) -> None:
    reg = tls_registry
    ref = reg.ref("private/app:1")
    anonymous = resolve([ref], None, ca_file=str(reg.ca)).results[0]
    assert anonymous.error_type == "AuthenticationError"
    assert anonymous.error is not None
    assert f"no credentials are configured for {reg.host}" in anonymous.error
    config = _docker_config(tmp_path, reg.host, *TLS_USER)
    ok = resolve([ref], None, ca_file=str(reg.ca), docker_config=config).results[0]
    assert ok.ok, ok.error
    assert platforms(ok) == ["linux/amd64", "linux/arm64"]
    wrong = _docker_config(tmp_path, reg.host, TLS_USER[0], "wrong")
    refused = resolve([ref], None, ca_file=str(reg.ca), docker_config=wrong).results[0]
    assert refused.error_type == "AuthenticationError"
    assert refused.error is not None
    assert "were refused" in refused.error
    assert "wrong" not in refused.error
    assert TLS_USER[1] not in (ok.error or "")


def test_tls_without_the_ca_fails(tls_registry: RunningRegistry) -> None:
    result = resolve([tls_registry.ref("private/app:1")], None).results[0]
    assert not result.ok
    assert result.platforms == ()


def test_anonymous_bearer_tokens_are_cached_per_repository(
    token_registry: RunningRegistry,
) -> None:
    reg = token_registry
    run = resolve([reg.ref("public/app:1"), reg.ref("public/app:2")], None)
    assert all(r.ok for r in run.results), [r.error for r in run.results]
    assert platforms(run.by_ref(reg.ref("public/app:1"))) == ["linux/amd64", "linux/arm64"]
    assert platforms(run.by_ref(reg.ref("public/app:2"))) == ["linux/arm/v6"]
    assert run.tokens == 1  # one scope, one token, reused for every request


def test_access_token_field_is_accepted(token_registry: RunningRegistry) -> None:
    issuer = token_registry.issuer
    assert issuer is not None
    issuer.field = "access_token"
    try:
        result = resolve([token_registry.ref("public/app:1")], None).results[0]
    finally:
        issuer.field = "token"
    assert result.ok, result.error


def test_private_repository_needs_credentials(
    token_registry: RunningRegistry, tmp_path: Path
) -> None:
    reg = token_registry
    ref = reg.ref("private/app:1")
    denied = resolve([ref], None).results[0]
    assert denied.error_type == "AuthenticationError"
    secret = tmp_path / "pull-secret.yaml"
    payload = json.dumps(
        {
            "auths": {
                "127.0.0.*:*": {"auth": "eDp5"},  # a glob the kubelet would not match (port)
                reg.host: {"username": TOKEN_USER[0], "password": TOKEN_USER[1]},
            }
        }
    )
    secret.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: pull}\n"
        "type: kubernetes.io/dockerconfigjson\n"
        f"stringData:\n  .dockerconfigjson: '{payload}'\n"
    )
    granted = resolve([ref], None, pull_secrets=(secret,)).results[0]
    assert granted.ok, granted.error
    assert platforms(granted) == ["linux/arm64"]
    assert reg.issuer is not None
    assert reg.issuer.requests[-1]["user"] == TOKEN_USER[0]


def test_identity_token_uses_the_refresh_token_grant(
    token_registry: RunningRegistry, tmp_path: Path
) -> None:
    reg = token_registry
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"auths": {reg.host: {"identitytoken": REFRESH_TOKEN}}}))
    result = resolve([reg.ref("private/app:1")], None, docker_config=config).results[0]
    assert result.ok, result.error
    assert reg.issuer is not None
    assert reg.issuer.requests[-1] == {
        "user": TOKEN_USER[0],
        "scope": "repository:private/app:pull",
        "grant": "refresh_token",
    }


def test_only_the_first_request_collects_a_401(token_registry: RunningRegistry) -> None:
    reg = token_registry
    index = reg.images["public/app:1"]
    refs = [reg.ref("public/app:1"), reg.ref("public/app:2")] + [
        f"{reg.host}/public/app@{digest}" for digest in index.children.values()
    ]
    before = len(reg.process.access_log())
    run = resolve(refs, None)
    assert all(r.ok for r in run.results), [r.error for r in run.results]
    sent = sum(n for kind, n in run.requests.items() if kind != "GET token")  # 401 included
    deadline = time.monotonic() + 5
    while True:  # the access log is written after each response: wait for all of it
        statuses = [status for _, _, status in reg.process.access_log()[before:]]
        if len(statuses) >= sent or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert statuses.count(401) == 1
    assert run.tokens == 1


def test_the_library_resolves_images(plain_registry: RunningRegistry, cache_dir: Path) -> None:
    reg = plain_registry
    config = archfit.ResolverConfig(settings=FAST, cache_dir=cache_dir)
    found = archfit.resolve_images([reg.ref("multi:oci"), reg.ref("single:arm64")], config=config)
    assert [platforms(r) for r in found] == [LINUX_AND_WINDOWS, ["linux/arm64"]]
    assert found[0].digest == reg.images["multi:oci"].digest
    missing = archfit.resolve_images([reg.ref("multi:absent")], config=config)
    assert missing[0].error is not None
