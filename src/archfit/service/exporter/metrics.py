"""The `/metrics` families, computed from the `ClusterView` at scrape time (a custom collector).

Every label is bounded by something small and stable — arch, instance type, namespace, a
controller's name, a DaemonSet's name, an image in use — never a pod's name. Units follow
Prometheus conventions (cores, bytes, seconds; counters end in `_total`). docs/monitoring.md
describes each family; the names here and there are checked against each other by a test.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from archfit.model.image import ImageRef
from archfit.service.exporter.view import RESOURCE_KEYS, RESOURCES, ClusterView
from archfit.usecases.live_findings import ImageLookup, pending_no_arch

__all__ = ["CAPACITY", "ViewCollector"]

# (resource key in the view, metric name part, unit suffix, help text of the resource)
CAPACITY: tuple[tuple[str, str, str], ...] = (
    ("cpu", "cpu_cores", "CPU cores"),
    ("memory", "memory_bytes", "memory in bytes"),
    ("pods", "pods", "pods"),
    ("ephemeral-storage", "ephemeral_storage_bytes", "ephemeral storage in bytes"),
    ("gpu", "gpus", "GPUs (nvidia.com/gpu, amd.com/gpu, gpu.intel.com/*)"),
)
_GROUP = ["arch", "instance_type"]


@dataclass
class _PendingCache:
    generation: int = -1
    no_fit: frozenset[tuple[str, str]] = frozenset()
    unbound: frozenset[tuple[str, str]] = frozenset()


class ViewCollector(Collector):
    """Reads the view; `images` (the registry cache) tells which arches an image ships."""

    def __init__(self, view: ClusterView, images: ImageLookup | None = None) -> None:
        self.view = view
        self.images = images
        self._pending = _PendingCache()

    def describe(self) -> list[Metric]:
        # Families depend on the view; an empty description keeps registration from collecting.
        return []

    def collect(self) -> Iterator[Metric]:
        yield from self._capacity()
        yield from self._pending_pods()
        yield from self._platform_failures()
        yield from self._daemonsets()
        yield from self._heavy_on_pis()
        yield from self._images()
        yield from self._health()

    # -- families --------------------------------------------------------------------------

    def _capacity(self) -> Iterator[Metric]:
        view = self.view
        width = len(RESOURCE_KEYS)
        allocatable: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * width)
        requested: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * width)
        count: Counter[tuple[str, str]] = Counter()
        ready: Counter[tuple[str, str]] = Counter()
        control_planes = 0
        for name, node in view.nodes.items():
            group = (node.arch, node.instance_type)
            count[group] += 1
            ready[group] += node.ready
            control_planes += node.control_plane
            into = allocatable[group]
            for i, amount in enumerate(node.allocatable):
                into[i] += amount
            sums = view.requested.get(name)
            if sums is not None:
                into = requested[group]
                for i, amount in enumerate(sums):
                    into[i] += amount
        for key, part, what in CAPACITY:
            index = RESOURCE_KEYS.index(key)
            for kind, source in (("allocatable", allocatable), ("requested", requested)):
                family = GaugeMetricFamily(
                    f"archfit_{kind}_{part}",
                    f"{what.capitalize()} {kind} on the nodes of one arch and instance type"
                    + (" (sum of the requests of pods bound there)" if kind == "requested" else ""),
                    labels=_GROUP,
                )
                for group in sorted(count):
                    family.add_metric(list(group), source[group][index])
                yield family
        nodes = GaugeMetricFamily(
            "archfit_nodes", "Nodes per arch and instance type", labels=_GROUP
        )
        ready_family = GaugeMetricFamily(
            "archfit_nodes_ready", "Nodes whose Ready condition is True", labels=_GROUP
        )
        for group in sorted(count):
            nodes.add_metric(list(group), count[group])
            ready_family.add_metric(list(group), ready[group])
        yield nodes
        yield ready_family
        yield GaugeMetricFamily(
            "archfit_control_plane_nodes",
            "Nodes with the control-plane (or master) role label",
            value=control_planes,
        )

    def _no_arch_fit(self) -> frozenset[tuple[str, str]]:
        """Unbound pods no node admits once selectors, affinity and image platforms combine
        (the live findings' `pending-no-arch-fit`), recomputed when nodes' placement changes."""
        view = self.view
        cache = self._pending
        unbound = frozenset(view.unbound)
        if cache.generation == view.placement_generation and cache.unbound == unbound:
            return cache.no_fit
        states = [s for key in unbound if (s := view.pods[key].state) is not None and s.template]
        nodes = {name: record.node for name, record in view.nodes.items()}
        # One finding per controller: ask per pod so that every pod of it is counted.
        no_fit = frozenset(
            (s.namespace, s.name) for s in states if pending_no_arch([s], nodes, self.images)
        )
        self._pending = _PendingCache(view.placement_generation, no_fit, unbound)
        return no_fit

    def _pending_pods(self) -> Iterator[Metric]:
        view = self.view
        no_fit = self._no_arch_fit()
        counts: Counter[tuple[str, str]] = Counter()
        for key in view.unbound:
            record = view.pods[key]
            reasons = set(record.pending)
            if key in no_fit:
                reasons.add("no_arch_fit")
            for reason in reasons:
                counts[(record.namespace, reason)] += 1
        family = GaugeMetricFamily(
            "archfit_pods_pending",
            "Unbound Pending pods per namespace and scheduling reason (a pod counts once per "
            "reason its FailedScheduling message gives; no_arch_fit: no node of a suitable "
            "arch admits it)",
            labels=["namespace", "reason"],
        )
        for labels, value in sorted(counts.items()):
            family.add_metric(list(labels), value)
        yield family

    def _platform_failures(self) -> Iterator[Metric]:
        yield self._counted(
            "platform_failure",
            "archfit_pods_platform_failure",
            "Pods whose containers fail because the image does not match the node "
            "(reason exec_format_error or no_match_for_platform), per owner and node arch",
            ["namespace", "owner", "node_arch", "reason"],
        )

    def _counted(self, counter: str, name: str, text: str, labels: list[str]) -> Metric:
        """A gauge with one sample per label tuple of the view's counter `counter`."""
        family = GaugeMetricFamily(name, text, labels=labels)
        for values, value in sorted(self.view.counters[counter].items()):
            family.add_metric(list(values), value)
        return family

    def _daemonsets(self) -> Iterator[Metric]:
        desired = self.view.counters["daemonset_desired"]
        ready = self.view.counters["daemonset_ready"]
        desired_family = GaugeMetricFamily(
            "archfit_daemonset_pods_desired",
            "DaemonSet pods scheduled on the nodes of one arch (one per node the DaemonSet "
            "controller chose)",
            labels=["namespace", "daemonset", "arch"],
        )
        ready_family = GaugeMetricFamily(
            "archfit_daemonset_pods_ready",
            "DaemonSet pods Ready on the nodes of one arch",
            labels=["namespace", "daemonset", "arch"],
        )
        for group in sorted(desired):
            desired_family.add_metric(list(group), desired[group])
            ready_family.add_metric(list(group), ready.get(group, 0))
        yield desired_family
        yield ready_family

    def _heavy_on_pis(self) -> Iterator[Metric]:
        yield self._counted(
            "heavy_on_pi",
            "archfit_heavy_pods_on_pi",
            "Pods on Raspberry Pis that the size rule calls heavy (a heavy image such as a "
            "database, or requests above what a Pi offers)",
            ["namespace", "owner", "reason"],
        )

    def _images(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "archfit_image_missing_arch",
            "Images in use (resolved from the registry cache) that ship no build for an arch "
            "the cluster's nodes run; 1 per (image, missing arch)",
            labels=["image", "arch"],
        )
        if self.images is not None:
            arches = sorted({n.arch for n in self.view.nodes.values()})
            for image in sorted(self.view.images_in_use):
                shipped = _architectures(self.images, image)
                if shipped is None:
                    continue
                for arch in arches:
                    if arch not in shipped:
                        family.add_metric([image, arch], 1)
        yield family

    def _health(self) -> Iterator[Metric]:
        health = self.view.health
        restarts = CounterMetricFamily(
            "archfit_watch_restarts",
            "Watches restarted after an error or an expired resourceVersion",
            labels=["resource"],
        )
        events = CounterMetricFamily(
            "archfit_watch_events", "Watch events applied to the view", labels=["resource"]
        )
        errors = CounterMetricFamily(
            "archfit_errors",
            "Objects the exporter could not read, and image resolution failures (resource images)",
            labels=["resource"],
        )
        last_sync = GaugeMetricFamily(
            "archfit_last_sync_timestamp_seconds",
            "When the last complete list (initial sync or relist) of a resource finished",
            labels=["resource"],
        )
        for resource in RESOURCES:
            restarts.add_metric([resource], health.restarts.get(resource, 0))
            events.add_metric([resource], health.events.get(resource, 0))
            if resource in health.last_sync:
                last_sync.add_metric([resource], health.last_sync[resource])
        for resource in (*RESOURCES, "images"):
            errors.add_metric([resource], health.errors.get(resource, 0))
        yield restarts
        yield events
        yield errors
        yield last_sync
        yield GaugeMetricFamily(
            "archfit_synced",
            "1 once every watched resource has been listed",
            value=1 if health.synced else 0,
        )


def _architectures(images: ImageLookup, image: str) -> frozenset[str] | None:
    try:
        info = images.lookup(ImageRef.parse(image))
    except ValueError:
        return None
    if info is None or info.status != "resolved" or not info.linux_platforms:
        return None
    return frozenset(p.arch for p in info.linux_platforms)
