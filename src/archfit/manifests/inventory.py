"""The cluster inventory: which nodes exist, with their platform, labels, taints and resources.

`parse_inventory(data, file)` (and `archfit.sources.load_inventory(path)`) accepts, recognised
by content:
- archfit's cluster file (`apiVersion: archfit.dev/v1alpha1`, `kind: Cluster`), documented in
  docs/inventory.md: nodes by hand or by `profile`, explicit fields over the profile's;
- `kubectl get nodes -o yaml` or `-o json` output (a `List` of Nodes), a single Node, several
  Node documents, or a snapshot file (`kind: List` with Nodes among other objects).

Every mistake is an `InputError` naming `file:line`, the node and the field, and what was
expected; an unknown field is a mistake (a typo must not silently drop a taint). Parsing is
pure (`parse_inventory`, `inventory_from_cluster_doc`, `inventory_from_documents`); reading the
file is `archfit.sources.load_inventory`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from archfit.errors import InputError, InvalidValue
from archfit.manifests.documents import Document, decode_text, read_bytes, split_documents
from archfit.model.k8s import node_from_k8s
from archfit.model.node import Node
from archfit.model.platform import NodeCapabilities, Platform, require_goarch
from archfit.model.profiles import PROFILES, build_node, get_profile
from archfit.model.quantity import Quantity
from archfit.model.selectors import Taint

__all__ = [
    "CLUSTER_API_VERSION",
    "CLUSTER_KIND",
    "Inventory",
    "inventory_from_cluster_doc",
    "inventory_from_documents",
    "parse_inventory",
]

CLUSTER_API_VERSION = "archfit.dev/v1alpha1"
CLUSTER_KIND = "Cluster"
_TOP_FIELDS = ("apiVersion", "kind", "metadata", "nodes")
_NODE_FIELDS = (
    "allocatable",
    "annotations",
    "arch",
    "capabilities",
    "capacity",
    "labels",
    "name",
    "os",
    "profile",
    "roles",
    "taints",
    "unschedulable",
)
_TAINT_FIELDS = ("effect", "key", "value")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_CAPABILITY_FIELDS = ("amd64Level", "runs32bit")


@dataclass(frozen=True, slots=True)
class Inventory:
    """The nodes of one cluster; `source` is the file they were read from."""

    name: str
    nodes: tuple[Node, ...]
    source: str = ""

    def node(self, name: str) -> Node | None:
        return next((n for n in self.nodes if n.name == name), None)


class _Lines:
    """Line numbers of a cluster document's node entries and their fields (1-based)."""

    def __init__(self, chunk: str | None, first: int) -> None:
        self.top: dict[str, int] = {}
        self.nodes: list[tuple[int, dict[str, int]]] = []
        self.first = first
        if chunk is None:
            return
        try:
            root = yaml.compose(chunk, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:  # pragma: no cover - the same text decoded already
            return
        if not isinstance(root, yaml.MappingNode):
            return
        for key, value in root.value:
            self.top[str(key.value)] = first + key.start_mark.line
            if key.value == "nodes" and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    fields = {}
                    if isinstance(item, yaml.MappingNode):
                        fields = {str(k.value): first + k.start_mark.line for k, _ in item.value}
                    self.nodes.append((first + item.start_mark.line, fields))

    def node(self, index: int, field: str | None = None) -> int:
        if index >= len(self.nodes):
            return self.top.get("nodes", self.first)
        line, fields = self.nodes[index]
        return fields.get(field, line) if field else line


def _fail(file: str, line: int, message: str) -> InputError:
    return InputError(message, where=f"{file}:{line}" if line else file)


def _check_fields(obj: Mapping[str, Any], allowed: Sequence[str], what: str) -> str | None:
    for key in obj:
        if key not in allowed:
            return f"{what}: unknown field {key!r}; expected one of: {', '.join(allowed)}"
    return None


def _strings_map(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidValue(f"{what}: expected a mapping of strings, got {type(value).__name__}")
    out = {}
    for key, val in value.items():
        if val is None:  # `node-role.kubernetes.io/gpu:` with nothing after it: an empty value
            out[str(key)] = ""
            continue
        if isinstance(val, bool) or not isinstance(val, str | int | float):
            raise InvalidValue(f"{what}.{key}: expected a string, got {val!r}")
        out[str(key)] = str(val)
    return out


def _resources(value: Any, what: str) -> dict[str, Quantity]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidValue(f"{what}: expected a mapping such as {{cpu: 4, memory: 8Gi}}")
    out = {}
    for key, raw in value.items():
        try:
            out[str(key)] = Quantity.parse(raw)
        except InvalidValue as err:
            raise InvalidValue(f"{what}.{key}: {err.message}") from None
    return out


def _taints(value: Any, what: str) -> list[Taint]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidValue(f"{what}: expected a list of {{key, value, effect}}")
    out = []
    for i, raw in enumerate(value):
        where = f"{what}[{i}]"
        if not isinstance(raw, Mapping):
            raise InvalidValue(f"{where}: expected a mapping with key, value and effect")
        problem = _check_fields(raw, _TAINT_FIELDS, where)
        if problem:
            raise InvalidValue(problem)
        key, effect = raw.get("key"), raw.get("effect")
        if not isinstance(key, str) or not key:
            raise InvalidValue(f"{where}.key: expected a taint key")
        if effect not in _TAINT_EFFECTS:
            raise InvalidValue(f"{where}.effect: expected one of {', '.join(_TAINT_EFFECTS)}")
        val = raw.get("value")
        out.append(Taint(key=key, effect=str(effect), value="" if val is None else str(val)))
    return out


def _capabilities(value: Any, what: str, base: NodeCapabilities | None) -> NodeCapabilities:
    if value is None:
        return base or NodeCapabilities()
    if not isinstance(value, Mapping):
        raise InvalidValue(f"{what}: expected a mapping with runs32bit and amd64Level")
    problem = _check_fields(value, _CAPABILITY_FIELDS, what)
    if problem:
        raise InvalidValue(problem)
    runs32 = value.get("runs32bit", base.runs_32bit if base else None)
    if runs32 is not None and not isinstance(runs32, bool):
        raise InvalidValue(f"{what}.runs32bit: expected true or false")
    level = value.get("amd64Level", base.amd64_level if base else None)
    if level is not None and (isinstance(level, bool) or level not in (1, 2, 3, 4)):
        raise InvalidValue(f"{what}.amd64Level: expected 1, 2, 3 or 4")
    return NodeCapabilities(runs_32bit=runs32, amd64_level=level)


def _cluster_node(raw: Any, index: int) -> Node:
    """One entry of a cluster file's `nodes`; raises `InvalidValue` with the field in front."""
    if not isinstance(raw, Mapping):
        raise InvalidValue(f"nodes[{index}]: expected a mapping with name, arch or profile, …")
    name = raw.get("name")
    what = f"nodes[{index}]" + (f" ({name})" if isinstance(name, str) and name else "")
    problem = _check_fields(raw, _NODE_FIELDS, what)
    if problem:
        raise InvalidValue(problem)
    if not isinstance(name, str) or not name:
        raise InvalidValue(f"{what}.name: expected the node's name")
    profile = None
    if raw.get("profile") is not None:
        try:
            profile = get_profile(str(raw["profile"]))
        except InvalidValue as err:
            raise InvalidValue(f"{what}.profile: {err.message}") from None
    arch, os_ = raw.get("arch"), raw.get("os")
    if arch is None and profile is None:
        raise InvalidValue(
            f"{what}: expected arch (amd64, arm64, …) or a profile ({', '.join(sorted(PROFILES))})"
        )
    if arch is not None or os_ is not None:
        base_arch = profile.platform.arch if profile else None
        arch_text = str(arch) if arch is not None else base_arch
        if not arch_text:
            raise InvalidValue(f"{what}.arch: expected an architecture such as amd64 or arm64")
        try:
            platform = Platform.parse(arch_text, default_os=str(os_ or "linux"))
            require_goarch(platform.architecture, "")
        except InvalidValue as err:
            raise InvalidValue(f"{what}.arch: {err.message}") from None
        if profile is not None and platform.arch != profile.platform.arch:
            raise InvalidValue(
                f"{what}.arch: {arch_text} contradicts profile {raw['profile']}, which is "
                f"{profile.platform.arch}; remove arch or choose a profile of that architecture"
            )
    elif profile is not None:
        platform = profile.platform
    else:
        raise InvalidValue(
            f"{what}: expected arch (amd64, arm64, …) or a profile ({', '.join(sorted(PROFILES))})"
        )
    roles = raw.get("roles")
    if roles is None:
        role_list: list[str] = []
    elif isinstance(roles, list) and all(isinstance(r, str) for r in roles):
        role_list = list(roles)
    else:
        raise InvalidValue(f"{what}.roles: expected a list such as [control-plane] or [worker]")
    unschedulable = raw.get("unschedulable", False)
    if not isinstance(unschedulable, bool):
        raise InvalidValue(f"{what}.unschedulable: expected true or false")
    labels = _strings_map(raw.get("labels"), f"{what}.labels")
    return build_node(
        name,
        platform,
        roles=role_list,
        labels={**(profile.labels if profile else {}), **labels},
        taints=_taints(raw.get("taints"), f"{what}.taints"),
        allocatable={
            **(profile.allocatable if profile else {}),
            **_resources(raw.get("allocatable"), f"{what}.allocatable"),
        },
        capacity={
            **(profile.capacity if profile else {}),
            **_resources(raw.get("capacity"), f"{what}.capacity"),
        },
        capabilities=_capabilities(
            raw.get("capabilities"),
            f"{what}.capabilities",
            profile.capabilities if profile else None,
        ),
        unschedulable=unschedulable,
        annotations=_strings_map(raw.get("annotations"), f"{what}.annotations"),
        profile=profile.name if profile else None,
    )


def _field_of(message: str) -> str | None:
    """The node field a message starts with (`nodes[2] (x).taints[0]…` → `taints`)."""
    head = message.split(":", 1)[0]
    rest = head.split(")", 1)[1] if ")" in head else head.split("]", 1)[-1]
    rest = rest.lstrip(".")
    field = rest.split(".", 1)[0].split("[", 1)[0]
    if field in _NODE_FIELDS:
        return field
    if "unknown field" in message:
        quoted = message.split("unknown field ", 1)[1].split("'", 2)
        return quoted[1] if len(quoted) > 1 else None
    return None


def inventory_from_cluster_doc(
    doc: Mapping[str, Any], *, file: str = "<cluster>", chunk: str | None = None, first: int = 1
) -> Inventory:
    """Parse a `kind: Cluster` document; `chunk`/`first` (its text and first line) give errors
    their lines."""
    lines = _Lines(chunk, first)
    problem = _check_fields(doc, _TOP_FIELDS, "Cluster")
    if problem:
        bad = next(k for k in doc if k not in _TOP_FIELDS)
        raise _fail(file, lines.top.get(str(bad), first), problem)
    if doc.get("apiVersion") != CLUSTER_API_VERSION:
        raise _fail(
            file,
            lines.top.get("apiVersion", first),
            f"apiVersion: expected {CLUSTER_API_VERSION}, got {doc.get('apiVersion')!r}",
        )
    meta = doc.get("metadata") or {}
    name = meta.get("name") if isinstance(meta, Mapping) else None
    if not isinstance(name, str) or not name:
        raise _fail(file, lines.top.get("metadata", first), "metadata.name: expected a name")
    raw_nodes = doc.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise _fail(
            file, lines.top.get("nodes", first), "nodes: expected a list of at least one node"
        )
    nodes: list[Node] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_nodes):
        try:
            node = _cluster_node(raw, index)
        except InvalidValue as err:
            raise _fail(file, lines.node(index, _field_of(err.message)), err.message) from None
        if node.name in seen:
            raise _fail(
                file,
                lines.node(index, "name"),
                f"nodes[{index}].name: {node.name!r} is already used by nodes[{seen[node.name]}]",
            )
        seen[node.name] = index
        nodes.append(node)
    return Inventory(name=name, nodes=tuple(nodes), source=file)


def inventory_from_documents(
    documents: Sequence[Document], *, name: str, file: str = ""
) -> Inventory:
    """Nodes from Node documents (kubectl output, snapshots); other kinds are ignored."""
    nodes: list[Node] = []
    seen: set[str] = set()
    for doc in documents:
        if doc.kind != "Node" or doc.group != "":
            continue
        try:
            node = node_from_k8s(doc.body)
        except InvalidValue as err:
            raise err.at(str(doc.source)) from None
        if node.name in seen:
            raise InputError(f"node {node.name!r} appears twice", where=str(doc.source))
        seen.add(node.name)
        nodes.append(node)
    if not nodes:
        raise InputError(
            "no nodes found; expected an archfit Cluster file (kind: Cluster), "
            "`kubectl get nodes -o yaml|json` output, or Node objects",
            where=file or None,
        )
    return Inventory(name=name, nodes=tuple(nodes), source=file)


def parse_inventory(data: bytes, file: str, *, name: str) -> Inventory:
    """The inventory held by the bytes of `file`, in any of the accepted forms (see the module
    docstring); `name` names an inventory whose content gives none (the file's stem)."""
    result = read_bytes(data, file)
    if result.problems:
        problem = result.problems[0]
        raise InputError(problem.message.split(": ", 1)[-1], where=str(problem.source or file))
    clusters = [d for d in result.documents if d.kind == CLUSTER_KIND and d.group == "archfit.dev"]
    if len(clusters) > 1:
        raise InputError("more than one kind: Cluster document", where=str(clusters[1].source))
    if clusters:
        doc = clusters[0]
        start, chunk = _chunk_at(decode_text(data, file)[0] or "", doc.source.line)
        return inventory_from_cluster_doc(doc.body, file=file, chunk=chunk, first=start)
    return inventory_from_documents(result.documents, name=name, file=file)


def _chunk_at(text: str, line: int) -> tuple[int, str | None]:
    """The first line and text of the YAML document of `text` that holds `line`."""
    chunks = split_documents(text)
    for first, chunk in reversed(chunks):
        if first <= line:
            return first, chunk
    return 1, None
