"""Cluster inventories: archfit cluster files with profiles, kubectl node output, snapshots."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from textwrap import dedent

import pytest

from archfit.errors import InputError
from archfit.model.quantity import Quantity
from archfit.model.selectors import Taint
from archfit.sources import load_inventory

GI = 2**30

CLUSTER = """\
# The homelab
apiVersion: archfit.dev/v1alpha1
kind: Cluster
metadata:
  name: homelab
nodes:
  - name: bruenor
    arch: x86_64
    roles: [control-plane]
    taints:
      - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
    allocatable: {cpu: 3800m, memory: 15Gi, pods: 110}
  - name: elminster
    arch: amd64
    roles: [gpu, worker]
    labels: {gpu.vendor: nvidia}
    allocatable: {cpu: "16", memory: 64Gi, nvidia.com/gpu: 1}
    capacity: {cpu: "16", memory: 64Gi, nvidia.com/gpu: 1}
    capabilities: {runs32bit: false, amd64Level: 3}
  - name: durnan
    profile: raspberry-pi-4-8gb
    roles: [worker]
  - name: volo
    profile: raspberry-pi-5-8gb
    labels: {topology.kubernetes.io/zone: attic}
    allocatable: {memory: 5Gi}
  - name: mirt
    arch: aarch64
    os: linux
    labels:
      example.com/empty:
"""


def _write(tmp_path: Path, text: str, name: str = "cluster.yaml") -> Path:
    path = tmp_path / name
    path.write_text(dedent(text))
    return path


def test_cluster_file(tmp_path: Path) -> None:
    inventory = load_inventory(_write(tmp_path, CLUSTER))
    assert inventory.name == "homelab"
    assert inventory.source == str(tmp_path / "cluster.yaml")
    nodes = {n.name: n for n in inventory.nodes}
    assert list(nodes) == ["bruenor", "elminster", "durnan", "volo", "mirt"]

    bruenor = nodes["bruenor"]
    assert bruenor.arch == "amd64"
    assert bruenor.is_control_plane
    assert bruenor.taints == (Taint("node-role.kubernetes.io/control-plane", "NoSchedule"),)
    assert dict(bruenor.labels) == {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        "kubernetes.io/hostname": "bruenor",
        "node-role.kubernetes.io/control-plane": "",
    }
    assert bruenor.allocatable["cpu"] == Quantity(Decimal("3.8"))
    assert bruenor.capacity == bruenor.allocatable  # capacity defaults to allocatable

    elminster = nodes["elminster"]
    assert elminster.gpu_vendors == frozenset({"nvidia"})
    assert elminster.roles == frozenset({"gpu", "worker"})
    assert elminster.labels["node-role.kubernetes.io/gpu"] == ""
    assert elminster.capabilities.amd64_level == 3
    assert elminster.capabilities.runs_32bit is False

    assert nodes["mirt"].arch == "arm64"
    assert nodes["mirt"].labels["example.com/empty"] == ""
    assert nodes["mirt"].profile is None


def test_profiles_are_defaults_and_explicit_fields_win(tmp_path: Path) -> None:
    nodes = {n.name: n for n in load_inventory(_write(tmp_path, CLUSTER)).nodes}
    durnan, volo = nodes["durnan"], nodes["volo"]
    assert durnan.profile == "raspberry-pi-4-8gb"
    assert durnan.arch == "arm64"
    assert durnan.allocatable["cpu"].value == 3
    assert durnan.allocatable["memory"].value == 6 * GI
    assert durnan.capacity["memory"].value == 8 * GI
    assert durnan.labels["node.kubernetes.io/instance-type"] == "raspberry-pi"
    assert durnan.labels["kubernetes.io/storage"] == "none"
    assert durnan.labels["kubernetes.io/hostname"] == "durnan"
    assert durnan.capabilities.runs_32bit is False
    # volo overrides memory only; cpu and pods still come from the Pi 5 profile.
    assert volo.allocatable["memory"].value == 5 * GI
    assert volo.allocatable["cpu"].value == Decimal("3.5")
    assert volo.allocatable["pods"].value == 110
    assert volo.labels["topology.kubernetes.io/zone"] == "attic"
    assert volo.labels["node.kubernetes.io/instance-type"] == "raspberry-pi"


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        pytest.param(
            ("allocatable: {memory: 5Gi}", "allocateable: {memory: 5Gi}"),
            26,
            "nodes[3] (volo): unknown field 'allocateable'; expected one of: allocatable,",
            id="unknown-field",
        ),
        pytest.param(
            ("profile: raspberry-pi-5-8gb", "profile: raspberry-pi-6"),
            24,
            "nodes[3] (volo).profile: unknown node profile 'raspberry-pi-6'; expected one of: "
            "amd64-worker, raspberry-pi-4-4gb",
            id="unknown-profile",
        ),
        pytest.param(
            ("effect: NoSchedule}", "effect: Never}"),
            10,  # the line of the node's `taints` field
            "nodes[0] (bruenor).taints[0].effect: expected one of NoSchedule",
            id="bad-taint-effect",
        ),
        pytest.param(
            ("cpu: 3800m", "cpu: lots"),
            12,
            "nodes[0] (bruenor).allocatable.cpu: invalid quantity 'lots'",
            id="bad-quantity",
        ),
        pytest.param(
            ("    arch: aarch64\n", ""),
            27,
            "nodes[4] (mirt): expected arch (amd64, arm64, …) or a profile",
            id="no-arch",
        ),
        pytest.param(
            ("name: mirt", "name: volo"),
            27,
            "nodes[4].name: 'volo' is already used by nodes[3]",
            id="duplicate-name",
        ),
        pytest.param(
            ("amd64Level: 3", "amd64Level: 7"),
            19,
            "nodes[1] (elminster).capabilities.amd64Level: expected 1, 2, 3 or 4",
            id="bad-capability",
        ),
        pytest.param(
            ("kind: Cluster\n", "kind: Cluster\nspec: {}\n"),
            4,
            "Cluster: unknown field 'spec'",
            id="unknown-top-field",
        ),
    ],
)
def test_cluster_file_errors_name_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], line: int, words: str
) -> None:
    text = CLUSTER.replace(*change)
    assert text != CLUSTER
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_inventory(path)
    assert caught.value.where == f"{path}:{line}"
    assert words in caught.value.message


def test_kubectl_json_nodes(shared_dir: Path) -> None:
    inventory = load_inventory(shared_dir / "fixtures" / "apiserver" / "nodes.json")
    assert inventory.name == "nodes"
    assert len(inventory.nodes) == 14
    nodes = {n.name: n for n in inventory.nodes}
    assert sorted(n for n, node in nodes.items() if node.arch == "arm64") == [
        "durnan",
        "elaith",
        "jarlaxle",
        "mirt",
        "volo",
    ]
    assert nodes["bruenor"].is_control_plane
    assert nodes["elminster"].gpu_vendors == frozenset({"nvidia"})
    assert nodes["wulfgar"].allocatable["cpu"].value == Decimal("7.8")


def test_kubectl_yaml_nodes(shared_dir: Path) -> None:
    path = shared_dir / "fixtures" / "scheduler" / "cases" / "04-resources" / "nodes.yaml"
    nodes = {n.name: n for n in load_inventory(path).nodes}
    assert len(nodes) == 14
    assert nodes["volo"].allocatable["pods"].value == 3  # this case's one change
    assert nodes["bruenor"].taints[0].key == "node-role.kubernetes.io/control-plane"
    assert nodes["bruenor"].allocatable["memory"].value == 15 * GI


def test_snapshot_and_multi_document_nodes(shared_dir: Path, tmp_path: Path) -> None:
    raw = json.loads((shared_dir / "fixtures" / "apiserver" / "nodes.json").read_text())
    items = [{"apiVersion": "v1", "kind": "Node", **item} for item in raw["items"]]
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [deployment, *items]})
    )
    assert len(load_inventory(snapshot).nodes) == 14

    docs = "\n---\n".join(json.dumps(item) for item in items[:2])
    multi = _write(tmp_path, docs, "two.yaml")
    assert [n.name for n in load_inventory(multi).nodes] == [
        items[0]["metadata"]["name"],
        items[1]["metadata"]["name"],
    ]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "", "no nodes found"),
        ("apiVersion: v1\nkind: Node\nmetadata: {name: n}\n", ":1", "no kubernetes.io/arch"),
        ("nodes: [\n", ":1", "invalid YAML"),
    ],
)
def test_bad_inventories(tmp_path: Path, text: str, where: str, words: str) -> None:
    path = _write(tmp_path, text, "nodes.yaml")
    with pytest.raises(InputError) as caught:
        load_inventory(path)
    assert str(caught.value).startswith(f"{path}{where}")
    assert words in str(caught.value)


def test_missing_inventory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such cluster file"):
        load_inventory(tmp_path / "nope.yaml")
