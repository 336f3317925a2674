"""Policy settings: `archfit.yaml`, grouped, with the strategy's decisions as defaults.

    apiVersion: archfit.dev/v1alpha1
    kind: Policy
    nodes:     how Raspberry Pis are recognised, which architectures a cluster has
    gpu:       GPU resources, runtime classes and device paths per vendor; vendor node labels
    storage:   distributed-storage classes and the label of nodes that must not hold them
    size:      heavy image patterns and the Pi size limit
    light:     light image patterns that should prefer the Pis, and the preference weight
    images:    tags that float
    rules:     rules to turn off, severities to change (per finding id)
    ignore:    findings to drop, by workload and/or image pattern

Every field is optional; `docs/configuration.md` documents each one with its default. Parsing
is strict: an unknown key or a value of the wrong type is an `InputError` naming the field
(and, when the caller can tell, the file and line), raised before anything is checked.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from archfit.errors import InputError
from archfit.model.finding import SEVERITIES, Severity
from archfit.model.node import INSTANCE_TYPE_LABEL
from archfit.model.quantity import Quantity
from archfit.model.selectors import NodeSelectorRequirement

__all__ = [
    "POLICY_API_VERSION",
    "POLICY_KIND",
    "GpuSettings",
    "IgnoreEntry",
    "ImageSettings",
    "LabelMatch",
    "LightSettings",
    "Locate",
    "NodeSettings",
    "RuleSettings",
    "Settings",
    "SizeSettings",
    "StorageSettings",
    "image_matches",
    "parse_settings",
]

POLICY_API_VERSION = "archfit.dev/v1alpha1"
POLICY_KIND = "Policy"

# Turns a field path such as ("gpu", "resources") into "archfit.yaml:12 gpu.resources".
Locate = Callable[[Sequence[str | int]], str]


@dataclass(frozen=True, slots=True)
class LabelMatch:
    """A node label written `key=value` (equal) or `key` (present)."""

    key: str
    value: str | None = None

    @classmethod
    def parse(cls, text: str) -> LabelMatch:
        key, sep, value = text.partition("=")
        if not key.strip():
            raise ValueError("expected key=value or key")
        return cls(key.strip(), value.strip() if sep else None)

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.key not in labels:
            return False
        return self.value is None or labels[self.key] == self.value

    def requirement(self) -> NodeSelectorRequirement:
        """The required expression that selects the nodes carrying this label."""
        if self.value is None:
            return NodeSelectorRequirement(self.key, "Exists")
        return NodeSelectorRequirement(self.key, "In", (self.value,))

    def exclusion(self) -> NodeSelectorRequirement:
        """The required expression that keeps pods off the nodes carrying this label."""
        if self.value is None:
            return NodeSelectorRequirement(self.key, "DoesNotExist")
        return NodeSelectorRequirement(self.key, "NotIn", (self.value,))

    def __str__(self) -> str:
        return self.key if self.value is None else f"{self.key}={self.value}"


@dataclass(frozen=True, slots=True)
class NodeSettings:
    # The strategy labels its Pis `node.kubernetes.io/instance-type: raspberry-pi`.
    raspberry_pi: LabelMatch = LabelMatch(INSTANCE_TYPE_LABEL, "raspberry-pi")
    # Node architectures assumed when there is no inventory (the strategy's x86_64 + Pi cluster).
    architectures: tuple[str, ...] = ("amd64", "arm64")


def _default_gpu_resources() -> dict[str, str]:
    return {
        "nvidia.com/gpu": "nvidia",
        "nvidia.com/mig-1g.5gb": "nvidia",
        "amd.com/gpu": "amd",
        "gpu.intel.com/i915": "intel",
        "gpu.intel.com/xe": "intel",
    }


@dataclass(frozen=True, slots=True)
class GpuSettings:
    # Extended resources advertised by GPU device plugins, and the vendor each one means.
    resources: Mapping[str, str] = field(default_factory=_default_gpu_resources)
    # RuntimeClasses that hand a GPU to the pod without a resource request.
    runtime_classes: Mapping[str, str] = field(default_factory=lambda: {"nvidia": "nvidia"})
    # Host paths that expose a GPU (a prefix match): /dev/dri is Quick Sync / VA-API on Intel.
    device_paths: Mapping[str, str] = field(
        default_factory=lambda: {"/dev/dri": "intel", "/dev/kfd": "amd", "/dev/nvidia": "nvidia"}
    )
    # The node label that marks the GPU nodes of each vendor. None by default: the gpu rule
    # takes a label the inventory's GPU nodes carry (a guessed label would leave pods Pending).
    vendor_labels: Mapping[str, LabelMatch] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StorageSettings:
    # Storage classes whose volumes need the distributed-storage agent on the node.
    classes: tuple[str, ...] = ("longhorn",)
    # Nodes carrying this label run no storage agent (the strategy: "No Longhorn on Pis").
    excluded_node_label: LabelMatch = LabelMatch("kubernetes.io/storage", "none")


HEAVY_IMAGES = (
    "postgres",
    "postgresql",
    "postgis",
    "timescaledb*",
    "cloudnative-pg*",
    "mysql",
    "mariadb",
    "percona*",
    "mongo",
    "mongodb*",
    "elasticsearch",
    "opensearch",
    "clickhouse*",
    "cassandra",
    "scylla",
    "kafka",
    "cp-kafka",
    "influxdb",
    "*/mssql/server",
)
LIGHT_IMAGES = (
    "eclipse-mosquitto",
    "mosquitto",
    "emqx",
    "vernemq",
    "pihole",
    "adguardhome",
    "home-assistant",
    "homeassistant",
    "caddy",
    "haproxy",
    "nginx-proxy-manager",
    "tinyproxy",
)


@dataclass(frozen=True, slots=True)
class SizeSettings:
    # Images of databases and other memory-hungry services (see `image_matches`).
    heavy_images: tuple[str, ...] = HEAVY_IMAGES
    # A pod requesting more than this does not belong on a Pi. None: the smallest Pi of the
    # inventory, or the strategy's Raspberry Pi 4 (3 cores, 3Gi) when the inventory has none.
    max_pi_cpu: Quantity | None = None
    max_pi_memory: Quantity | None = None


@dataclass(frozen=True, slots=True)
class LightSettings:
    # The strategy's "ARM64-compatible light workloads": MQTT, Pi-hole, Home Assistant, proxies.
    images: tuple[str, ...] = LIGHT_IMAGES
    # Weight (1-100) of the preferred node affinity towards the Pis.
    weight: int = 50


@dataclass(frozen=True, slots=True)
class ImageSettings:
    # Tags that move: the platforms behind them can change without the manifest changing.
    floating_tags: tuple[str, ...] = (
        "latest",
        "stable",
        "edge",
        "main",
        "master",
        "nightly",
        "dev",
        "develop",
        "rolling",
    )


@dataclass(frozen=True, slots=True)
class RuleSettings:
    disabled: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IgnoreEntry:
    """Drop findings of `findings` (all when empty) for workloads/images matching the globs."""

    findings: frozenset[str] = frozenset()
    workload: str | None = None  # glob on `Kind/namespace/name`
    image: str | None = None  # glob on the normalised image reference

    def applies(self, finding_id: str, workload: str, images: Sequence[str]) -> bool:
        if self.findings and finding_id not in self.findings:
            return False
        if self.workload is not None and not fnmatch.fnmatchcase(workload, self.workload):
            return False
        return self.image is None or any(fnmatch.fnmatchcase(i, self.image) for i in images)


@dataclass(frozen=True, slots=True)
class Settings:
    nodes: NodeSettings = field(default_factory=NodeSettings)
    gpu: GpuSettings = field(default_factory=GpuSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    size: SizeSettings = field(default_factory=SizeSettings)
    light: LightSettings = field(default_factory=LightSettings)
    images: ImageSettings = field(default_factory=ImageSettings)
    rules: RuleSettings = field(default_factory=RuleSettings)
    ignore: tuple[IgnoreEntry, ...] = ()


@functools.lru_cache(maxsize=65536)
def image_matches(pattern: str, registry: str, repository: str) -> bool:
    """A pattern without `/` matches the image's last path component (`postgres` matches
    `docker.io/library/postgres` and `ghcr.io/x/postgres`); with `/` it matches
    `registry/repository`. Shell globs (`*`, `?`) are allowed; matching ignores case."""
    pattern = pattern.lower()
    if "/" in pattern:
        return fnmatch.fnmatchcase(f"{registry}/{repository}".lower(), pattern)
    return fnmatch.fnmatchcase(repository.rsplit("/", 1)[-1].lower(), pattern)


# --- parsing ---------------------------------------------------------------------------------


class _Fields:
    """A mapping being read: remembers which keys were used so the rest can be rejected."""

    def __init__(self, value: Any, path: tuple[str | int, ...], locate: Locate) -> None:
        self.path, self.locate = path, locate
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise self.error(path, f"expected a mapping, got {_kind(value)}")
        self.value: Mapping[str, Any] = value
        self.used: set[str] = set()

    def error(self, path: Sequence[str | int], message: str) -> InputError:
        return InputError(message, where=self.locate(path))

    def get(self, key: str) -> Any:
        self.used.add(key)
        return self.value.get(key)

    def sub(self, key: str) -> _Fields:
        return _Fields(self.get(key), (*self.path, key), self.locate)

    def at(self, key: str) -> tuple[str | int, ...]:
        return (*self.path, key)

    def done(self, allowed_note: str) -> None:
        for key in self.value:
            if key not in self.used:
                raise self.error(
                    (*self.path, str(key)), f"unknown field {key!r}; expected one of {allowed_note}"
                )


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _strings(reader: _Fields, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = reader.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise reader.error(reader.at(key), "expected a list of non-empty strings")
    return tuple(value)


def _string_map(reader: _Fields, key: str, default: Mapping[str, str]) -> Mapping[str, str]:
    value = reader.get(key)
    if value is None:
        return default
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise reader.error(reader.at(key), "expected a mapping of strings to strings")
    return dict(value)


def _label(reader: _Fields, key: str, default: LabelMatch) -> LabelMatch:
    value = reader.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise reader.error(reader.at(key), "expected a label such as key=value")
    try:
        return LabelMatch.parse(value)
    except ValueError as err:
        raise reader.error(reader.at(key), str(err)) from None


def _quantity(reader: _Fields, key: str) -> Quantity | None:
    value = reader.get(key)
    if value is None:
        return None
    try:
        return Quantity.parse(value)
    except InputError as err:
        raise reader.error(reader.at(key), err.message) from None


def _parse_gpu(r: _Fields) -> GpuSettings:
    base = GpuSettings()
    labels_raw = _string_map(r, "vendorLabels", {})
    labels = dict(base.vendor_labels)
    for vendor, text in labels_raw.items():
        try:
            labels[vendor] = LabelMatch.parse(text)
        except ValueError as err:
            raise r.error((*r.at("vendorLabels"), vendor), str(err)) from None
    out = GpuSettings(
        resources=_string_map(r, "resources", base.resources),
        runtime_classes=_string_map(r, "runtimeClasses", base.runtime_classes),
        device_paths=_string_map(r, "devicePaths", base.device_paths),
        vendor_labels=labels,
    )
    r.done("resources, runtimeClasses, devicePaths, vendorLabels")
    return out


def _parse_rules(
    r: _Fields, known_rules: frozenset[str] | None, known_findings: frozenset[str] | None
) -> RuleSettings:
    disabled = frozenset(_strings(r, "disabled", ()))
    for i, name in enumerate(sorted(disabled)):
        if known_rules is not None and name not in known_rules:
            raise r.error(
                (*r.at("disabled"), i),
                f"unknown rule {name!r}; expected one of {', '.join(sorted(known_rules))}",
            )
    severity_raw = _string_map(r, "severity", {})
    for finding_id, severity in severity_raw.items():
        if known_findings is not None and finding_id not in known_findings:
            raise r.error(
                (*r.at("severity"), finding_id),
                f"unknown finding id {finding_id!r}; see docs/findings.md",
            )
        if severity not in SEVERITIES:
            raise r.error((*r.at("severity"), finding_id), "expected one of info, warning, error")
    r.done("disabled, severity")
    return RuleSettings(disabled, {k: cast(Severity, v) for k, v in severity_raw.items()})


def _parse_ignore(value: Any, locate: Locate) -> tuple[IgnoreEntry, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError("expected a list of {findings, workload, image}", where=locate(["ignore"]))
    out = []
    for i, raw in enumerate(value):
        r = _Fields(raw, ("ignore", i), locate)
        workload, image = r.get("workload"), r.get("image")
        for key, item in (("workload", workload), ("image", image)):
            if item is not None and not isinstance(item, str):
                raise r.error(r.at(key), "expected a glob pattern string")
        entry = IgnoreEntry(frozenset(_strings(r, "findings", ())), workload, image)
        r.done("findings, workload, image")
        if not entry.findings and entry.workload is None and entry.image is None:
            raise r.error(r.path, "an ignore entry needs findings, workload or image")
        out.append(entry)
    return tuple(out)


def parse_settings(
    doc: Any,
    locate: Locate | None = None,
    *,
    known_rules: frozenset[str] | None = None,
    known_findings: frozenset[str] | None = None,
) -> Settings:
    """Validate a decoded `archfit.yaml` document (None: all defaults).

    With `known_rules`/`known_findings`, rule names and finding ids are checked too.
    """
    where: Locate = locate or (lambda path: ".".join(str(p) for p in path) or "archfit.yaml")
    if doc is None:
        return Settings()
    top = _Fields(doc, (), where)
    if top.get("apiVersion") != POLICY_API_VERSION or top.get("kind") != POLICY_KIND:
        raise top.error(
            ("kind",), f"expected apiVersion: {POLICY_API_VERSION} and kind: {POLICY_KIND}"
        )

    nodes_r = top.sub("nodes")
    nodes = NodeSettings(
        raspberry_pi=_label(nodes_r, "raspberryPi", NodeSettings().raspberry_pi),
        architectures=_strings(nodes_r, "architectures", NodeSettings().architectures),
    )
    nodes_r.done("raspberryPi, architectures")

    gpu = _parse_gpu(top.sub("gpu"))

    storage_r = top.sub("storage")
    storage = StorageSettings(
        classes=_strings(storage_r, "classes", StorageSettings().classes),
        excluded_node_label=_label(
            storage_r, "excludedNodeLabel", StorageSettings().excluded_node_label
        ),
    )
    storage_r.done("classes, excludedNodeLabel")

    size_r = top.sub("size")
    size = SizeSettings(
        heavy_images=_strings(size_r, "heavyImages", HEAVY_IMAGES),
        max_pi_cpu=_quantity(size_r, "maxPiCpu"),
        max_pi_memory=_quantity(size_r, "maxPiMemory"),
    )
    size_r.done("heavyImages, maxPiCpu, maxPiMemory")

    light_r = top.sub("light")
    weight = light_r.get("weight")
    if weight is None:
        weight = LightSettings().weight
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
        raise light_r.error(light_r.at("weight"), "expected an integer from 1 to 100")
    light = LightSettings(images=_strings(light_r, "images", LIGHT_IMAGES), weight=weight)
    light_r.done("images, weight")

    images_r = top.sub("images")
    images = ImageSettings(
        floating_tags=_strings(images_r, "floatingTags", ImageSettings().floating_tags)
    )
    images_r.done("floatingTags")

    rules = _parse_rules(top.sub("rules"), known_rules, known_findings)
    ignore = _parse_ignore(top.get("ignore"), where)
    top.done("apiVersion, kind, nodes, gpu, storage, size, light, images, rules, ignore")
    return Settings(nodes, gpu, storage, size, light, images, rules, ignore)
