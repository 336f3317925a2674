"""Resolver settings: timeouts, limits, retries and cache lifetimes, each with its unit and why.

Environment variables (read by the CLI, shown in `--help`):

    ARCHFIT_CACHE_DIR            where the cache database lives (default: the user cache dir)
    ARCHFIT_INSECURE_REGISTRIES  comma-separated registries that may be reached over plain HTTP
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RegistrySettings"]


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    # Seconds to open a connection; registries that take longer are down for our purpose.
    connect_timeout: float = 5.0
    # Seconds to wait for response bytes; a manifest is small, so a slow answer is a stuck one.
    read_timeout: float = 20.0
    # Bytes. distribution rejects manifests over 4 MiB; anything larger is not a manifest.
    max_manifest_bytes: int = 4 * 1024 * 1024
    # Bytes. Image configs hold history and env; 8 MiB is far beyond any real one.
    max_config_bytes: int = 8 * 1024 * 1024
    # Requests in flight overall, and per registry host (kind to small self-hosted registries).
    max_concurrency: int = 64
    per_registry_concurrency: int = 16
    # Attempts per request for 408/429/5xx and transport errors (ggcr uses 3).
    attempts: int = 3
    # Seconds; exponential backoff base and cap, with ±10% jitter.
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    # Seconds; a Retry-After longer than this fails the request instead of stalling the run.
    max_retry_after: float = 60.0
    # Seconds a host that refused every attempt to connect is failed at once, without new
    # connections: one dead registry must not cost each of its images the whole backoff.
    unreachable_ttl: float = 30.0
    # Seconds a tag → digest answer is trusted without asking again (digests never expire).
    tag_ttl: float = 3600.0
    # Seconds a definitive failure (404, 401, bad manifest) is remembered.
    negative_ttl: float = 60.0
    # Speak HTTP/2 where the registry offers it (one connection carries all requests).
    http2: bool = True
