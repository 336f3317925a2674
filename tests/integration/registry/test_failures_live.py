"""Failures a real registry cannot be made to produce, injected by a loopback proxy in front of
one: 429 with Retry-After, 5xx, a body that does not match its digest, a truncated body, a slow
answer. Plus a registry that is not there at all. An error is always an error, never a platform.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import replace
from pathlib import Path

import httpx2
import pytest

from archfit.registry.client import RegistryClient
from archfit.registry.endpoints import default_endpoint
from archfit.registry.errors import BadResponse, RegistryUnavailable
from tests.integration.registry.faults import FaultProxy
from tests.integration.registry.helpers import FAST, platforms, resolve
from tests.integration.registry.pushing import RunningRegistry

pytestmark = pytest.mark.registry


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_registry_down_is_an_error(cache_dir: Path) -> None:
    host = f"127.0.0.1:{_free_port()}"
    result = resolve([f"{host}/app:1"], cache_dir).results[0]
    assert result.error_type == "RegistryUnavailable"
    assert result.error is not None
    assert host in result.error
    assert result.platforms == ()
    assert result.digest is None


def _proxied(registry: RunningRegistry, behaviour: object) -> FaultProxy:
    return FaultProxy(registry.host, behaviour)


def test_429_with_retry_after_is_honoured(plain_registry: RunningRegistry) -> None:
    def first_rate_limited(method: str, path: str, count: int) -> str | None:
        return "429:1" if "/manifests/" in path and count == 0 else None

    with _proxied(plain_registry, first_rate_limited) as proxy:
        started = time.monotonic()
        result = resolve([f"{proxy.host}/multi:oci"], None).results[0]
        waited = time.monotonic() - started
    assert result.ok, result.error
    assert platforms(result) == ["linux/amd64", "linux/arm/v7", "linux/arm64", "windows/amd64"]
    assert waited >= 0.9  # Retry-After: 1 was waited out rather than the 10 ms backoff
    assert [m for m, p in proxy.seen if "/manifests/" in p] == ["GET", "GET"]


def test_persistent_429_is_reported_not_guessed(plain_registry: RunningRegistry) -> None:
    def always(method: str, path: str, count: int) -> str | None:
        return "429:0"

    with _proxied(plain_registry, always) as proxy:
        result = resolve([f"{proxy.host}/single:arm64"], None).results[0]
    assert result.error_type == "RateLimited"
    assert result.platforms == ()
    assert len(proxy.seen) == FAST.attempts


def test_a_long_retry_after_fails_at_once(plain_registry: RunningRegistry) -> None:
    with _proxied(plain_registry, lambda m, p, c: "429:3600") as proxy:
        started = time.monotonic()
        result = resolve([f"{proxy.host}/single:arm64"], None).results[0]
    assert time.monotonic() - started < 5
    assert result.error_type == "RateLimited"
    assert result.error is not None
    assert "retry after 3600s" in result.error
    assert len(proxy.seen) == 1


def test_5xx_is_retried_then_succeeds(plain_registry: RunningRegistry) -> None:
    def flaky(method: str, path: str, count: int) -> str | None:
        return "500" if "/manifests/" in path and count < 2 else None

    with _proxied(plain_registry, flaky) as proxy:
        result = resolve([f"{proxy.host}/multi:docker"], None).results[0]
    assert result.ok, result.error
    assert [m for m, p in proxy.seen if "/manifests/" in p] == ["GET", "GET", "GET"]


def test_manifest_that_does_not_match_its_digest(plain_registry: RunningRegistry) -> None:
    def corrupt(method: str, path: str, count: int) -> str | None:
        return "corrupt" if method == "GET" and "/manifests/" in path else None

    with _proxied(plain_registry, corrupt) as proxy:
        result = resolve([f"{proxy.host}/multi:oci", f"{proxy.host}/single:amd64"], None)
    for item in result.results:
        assert item.error_type == "DigestMismatch", item.error
        assert item.platforms == ()


def test_config_blob_that_does_not_match_its_digest(plain_registry: RunningRegistry) -> None:
    def corrupt_blob(method: str, path: str, count: int) -> str | None:
        return "corrupt" if "/blobs/" in path else None

    with _proxied(plain_registry, corrupt_blob) as proxy:
        result = resolve([f"{proxy.host}/single:amd64"], None).results[0]
    assert result.error_type == "DigestMismatch"
    assert result.platforms == ()


def test_truncated_response(plain_registry: RunningRegistry) -> None:
    def truncate(method: str, path: str, count: int) -> str | None:
        return "truncate" if method == "GET" and "/manifests/" in path else None

    with _proxied(plain_registry, truncate) as proxy:
        result = resolve([f"{proxy.host}/multi:oci"], None).results[0]
    assert result.error_type == "BadResponse"
    assert result.error is not None
    assert "closed before the response was complete" in result.error
    assert result.platforms == ()


def test_slow_registry_times_out(plain_registry: RunningRegistry) -> None:
    quick = replace(FAST, read_timeout=0.3, attempts=1)
    with _proxied(plain_registry, lambda m, p, c: "sleep:1.5") as proxy:
        started = time.monotonic()
        result = resolve([f"{proxy.host}/single:arm64"], None, settings=quick).results[0]
    assert time.monotonic() - started < 1.4
    assert result.error_type == "RegistryTimeout"
    assert result.platforms == ()


def test_oversized_manifest_is_refused() -> None:
    """A registry streaming an endless body: injected at the transport boundary."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200,
            headers={"Content-Type": "application/vnd.oci.image.index.v1+json"},
            content=b"{" + b" " * (5 * 1024 * 1024) + b"}",
        )

    async def go() -> None:
        async with RegistryClient(FAST, transport=httpx2.MockTransport(handler)) as client:
            with pytest.raises(BadResponse, match="larger than"):
                await client.get_manifest(
                    default_endpoint("registry.example"),
                    "registry.example",
                    "x",
                    "sha256:" + "0" * 64,
                )

    asyncio.run(go())


def test_no_manifest_get_once_the_quota_is_spent(plain_registry: RunningRegistry) -> None:
    with _proxied(plain_registry, lambda m, p, c: "ratelimit:0") as proxy:
        run = resolve([f"{proxy.host}/multi:oci", f"{proxy.host}/multi:docker"], None)
    first, second = run.results
    # The first answer carried RateLimit-Remaining: 0; the second image is not even asked for.
    assert first.ok, first.error
    assert second.error_type == "RateLimited"
    assert second.error is not None
    assert "quota exhausted" in second.error
    assert [p for m, p in proxy.seen if "/manifests/" in p] == ["/v2/multi/manifests/oci"]


def test_a_dead_registry_costs_one_round_of_attempts_not_one_per_image(cache_dir: Path) -> None:
    # One request at a time, so the count is exact: the first image's request is tried
    # `attempts` times; every later image of that host fails at once with the same reason.
    host = f"127.0.0.1:{_free_port()}"
    serial = replace(FAST, max_concurrency=1, per_registry_concurrency=1)
    run = resolve([f"{host}/app{i}:1" for i in range(6)], None, settings=serial)
    assert [r.error_type for r in run.results] == ["RegistryUnavailable"] * 6
    assert all(r.error is not None and f"cannot connect to {host}" in r.error for r in run.results)
    assert sum(run.requests.values()) == 3


def test_a_host_name_that_does_not_exist_is_not_retried() -> None:
    # NXDOMAIN cannot come from a loopback server: it is injected at the transport.
    asked: list[str] = []

    def no_such_name(request: httpx2.Request) -> httpx2.Response:
        asked.append(request.url.host)
        try:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        except socket.gaierror as err:
            raise httpx2.ConnectError(str(err), request=request) from err

    async def go() -> list[str]:
        async with RegistryClient(FAST, transport=httpx2.MockTransport(no_such_name)) as client:
            errors = []
            for name in ("app1", "app2", "app3"):
                endpoint = default_endpoint("registry.example")
                try:
                    await client.get_tagged_manifest(endpoint, "registry.example", name, "1")
                except RegistryUnavailable as err:
                    errors.append(str(err))
            return errors

    errors = asyncio.run(go())
    assert (
        errors == ["cannot connect to registry.example: [Errno -2] Name or service not known"] * 3
    )
    assert asked == ["registry.example"]
