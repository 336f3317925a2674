"""Pod resource requests, computed as kube-scheduler computes them.

This is `component-helpers/resource.PodRequests` (Kubernetes 1.32, pod-level resources off):
- app containers' requests are summed;
- init containers run one at a time, each beside the restartable (sidecar) init containers
  started before it, so the pod needs at least the largest such sum;
- sidecars (init containers with `restartPolicy: Always`) keep running, so they also add to the
  app containers' sum;
- the result is the per-resource maximum of the two, plus the RuntimeClass overhead.

Requests default to limits (the API server's defaulting), which `archfit.model.k8s` applies when
it reads a manifest, so only `requests` are read here.

For scoring, the scheduler counts a container with no cpu or memory request as asking for 100m
and 200Mi (`non_zero=True`), so that empty pods still spread; filtering uses the real values.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from archfit.model.pod import Container, PodTemplate
from archfit.model.quantity import Quantity

__all__ = [
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "container_requests",
    "pod_requests",
    "scheduler_units",
]

DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

Requests = dict[str, Decimal]


def container_requests(container: Container, *, non_zero: bool = False) -> Requests:
    out = {name: q.value for name, q in container.resources.requests.items()}
    if non_zero:
        # Only missing entries get the default; an explicit "0" stays 0 (`applyNonMissing`).
        if "cpu" not in out:
            out["cpu"] = Decimal(DEFAULT_MILLI_CPU_REQUEST) / 1000
        if "memory" not in out:
            out["memory"] = Decimal(DEFAULT_MEMORY_REQUEST)
    return out


def _add(into: Requests, more: Mapping[str, Decimal]) -> None:
    for name, value in more.items():
        into[name] = into.get(name, Decimal(0)) + value


def _max(into: Requests, other: Mapping[str, Decimal]) -> None:
    for name, value in other.items():
        if name not in into or value > into[name]:
            into[name] = value


def pod_requests(
    template: PodTemplate, *, non_zero: bool = False, exclude_overhead: bool = False
) -> Requests:
    """Per-resource requests of one pod of `template`, in base units (cores, bytes, counts)."""
    total: Requests = {}
    for container in template.containers:
        _add(total, container_requests(container, non_zero=non_zero))
    sidecars: Requests = {}
    init_peak: Requests = {}
    for container in template.init_containers:
        own = container_requests(container, non_zero=non_zero)
        if container.kind == "sidecar":
            _add(total, own)
            _add(sidecars, own)
            running = dict(sidecars)
        else:
            running = dict(own)
            _add(running, sidecars)
        _max(init_peak, running)
    _max(total, init_peak)
    if not exclude_overhead:
        _add(total, {name: q.value for name, q in template.overhead.items()})
    return total


def scheduler_units(requests: Mapping[str, Decimal]) -> dict[str, int]:
    """The scheduler's integer view: millicores for cpu, whole units (rounded up) otherwise."""
    return {
        name: Quantity(value).milli() if name == "cpu" else Quantity(value).integer()
        for name, value in requests.items()
    }
