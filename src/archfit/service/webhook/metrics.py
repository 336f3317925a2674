"""The webhook's Prometheus metrics, in a registry of its own (one per server, so tests can run
several). Registry request counts and rate-limit headers are read from the registry client when
Prometheus scrapes, not copied on every request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["Metrics"]

# Seconds; admission answers are expected in milliseconds, and the budget caps them near 2 s.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0)


class _RegistryClientCollector(Collector):
    def __init__(self, client: Any) -> None:
        self._client = client

    def collect(self) -> Iterator[Any]:
        requests = CounterMetricFamily(
            "archfit_webhook_registry_requests",
            "Requests sent to registries, by method and kind (HEAD/GET manifest, GET blob).",
            labels=["request"],
        )
        for key, count in sorted(self._client.requests.items()):
            requests.add_metric([key], count)
        yield requests
        limit = GaugeMetricFamily(
            "archfit_webhook_registry_ratelimit_limit",
            "The last RateLimit-Limit a registry host sent.",
            labels=["host"],
        )
        remaining = GaugeMetricFamily(
            "archfit_webhook_registry_ratelimit_remaining",
            "The last RateLimit-Remaining a registry host sent.",
            labels=["host"],
        )
        for host, rate in sorted(self._client.rate_limits.items()):
            if rate.limit is not None:
                limit.add_metric([host], rate.limit)
            if rate.remaining is not None:
                remaining.add_metric([host], rate.remaining)
        yield limit
        yield remaining


class Metrics:
    def __init__(self, registry_client: Any | None = None) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "archfit_webhook_admission_duration_seconds",
            "Time from request body received to answer ready, by endpoint.",
            ["endpoint"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.decisions = Counter(
            "archfit_webhook_decisions",
            "Admission answers by endpoint and outcome (patched, fallback, unchanged, ...).",
            ["endpoint", "outcome"],
            registry=self.registry,
        )
        self.lookups = Counter(
            "archfit_webhook_image_lookups",
            "Image platform answers by source: lockfile, memo, cache, registry, unresolved.",
            ["source"],
            registry=self.registry,
        )
        self.ready = Gauge(
            "archfit_webhook_ready",
            "1 once the node watch has synced and the policy is loaded.",
            registry=self.registry,
        )
        if registry_client is not None:
            self.registry.register(_RegistryClientCollector(registry_client))
