"""Built-in node profiles and nodes built from them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from archfit.errors import InvalidValue
from archfit.model.profiles import PROFILES, get_profile, node_from_profile, nodes_from_profile
from archfit.model.quantity import Quantity

GI = 2**30


@pytest.mark.parametrize(
    ("name", "cpu", "memory_gib", "ram_gib"),
    [
        ("raspberry-pi-4-4gb", "3", 3, 4),  # the strategy's "typical available" for a Pi 4
        ("raspberry-pi-4-8gb", "3", 6, 8),
        ("raspberry-pi-5-4gb", "3.5", 3, 4),
        ("raspberry-pi-5-8gb", "3.5", 6, 8),  # the strategy's figure for a Pi 5
        ("raspberry-pi-5-16gb", "3.5", 13, 16),
    ],
)
def test_raspberry_pi_profiles(name: str, cpu: str, memory_gib: int, ram_gib: int) -> None:
    profile = get_profile(name)
    assert profile.platform.arch == "arm64"
    assert profile.allocatable["cpu"].value == Decimal(cpu)
    assert profile.allocatable["memory"].value == memory_gib * GI
    assert profile.allocatable["pods"].value == 110
    assert profile.allocatable["ephemeral-storage"].value == 50 * GI
    assert profile.capacity["cpu"].value == 4
    assert profile.capacity["memory"].value == ram_gib * GI
    assert dict(profile.labels) == {
        "node.kubernetes.io/instance-type": "raspberry-pi",
        "kubernetes.io/storage": "none",
    }
    assert profile.capabilities.runs_32bit is False


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(InvalidValue) as caught:
        get_profile("raspberry-pi-3")
    assert all(name in str(caught.value) for name in PROFILES)


def test_node_from_profile_merges_overrides() -> None:
    node = node_from_profile(
        "raspberry-pi-5-8gb",
        "volo",
        labels={"zone": "attic"},
        allocatable={"memory": Quantity.parse("5Gi")},
    )
    assert node.name == "volo"
    assert node.profile == "raspberry-pi-5-8gb"
    assert node.labels["kubernetes.io/hostname"] == "volo"
    assert node.labels["kubernetes.io/arch"] == "arm64"
    assert node.labels["node-role.kubernetes.io/worker"] == ""
    assert node.labels["zone"] == "attic"
    assert node.labels["kubernetes.io/storage"] == "none"
    assert node.allocatable["memory"].value == 5 * GI
    assert node.allocatable["cpu"].value == Decimal("3.5")
    assert node.roles == frozenset({"worker"})


def test_nodes_from_profile_names_and_skips_taken() -> None:
    nodes = nodes_from_profile("raspberry-pi-5-8gb", 3, name_prefix="pi", taken=["pi-2"])
    assert [n.name for n in nodes] == ["pi-1", "pi-3", "pi-4"]
    assert nodes_from_profile("amd64-worker", 1)[0].name == "amd64-worker-1"
    assert nodes_from_profile("amd64-worker", 0) == ()
    with pytest.raises(InvalidValue):
        nodes_from_profile("amd64-worker", -1)
