"""`archfit longhorn-settings` from an inventory and from the live cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from archfit.cli.main import main
from tests.conftest import ROOT

AMD64 = [
    "bruenor",
    "catti",
    "danilo",
    "drizzt",
    "elminster",
    "khelben",
    "regis",
    "storm",
    "wulfgar",
]
PIS = ["durnan", "elaith", "jarlaxle", "mirt", "volo"]


def test_values_from_the_homelab_inventory(capsys: pytest.CaptureFixture[str]) -> None:
    cluster = ROOT / "examples" / "homelab" / "cluster.yaml"
    assert main(["longhorn-settings", "--cluster", str(cluster)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Longhorn Helm values from archfit: storage on bruenor, catti")
    values = yaml.safe_load(out)
    assert values == {
        "defaultSettings": {
            "createDefaultDiskLabeledNodes": True,
            "systemManagedComponentsNodeSelector": "kubernetes.io/arch:amd64",
        },
        "longhornManager": {"nodeSelector": {"kubernetes.io/arch": "amd64"}},
        "longhornDriver": {"nodeSelector": {"kubernetes.io/arch": "amd64"}},
        "longhornUI": {"nodeSelector": {"kubernetes.io/arch": "amd64"}},
    }


def test_values_from_the_live_cluster(kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["longhorn-settings", "--live", "--kubeconfig", str(kubeconfig), "--format", "json"]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["storageNodes"] == AMD64
    assert out["excludedNodes"] == PIS


def test_values_use_the_disk_label_when_an_amd64_node_is_excluded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nodes = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": labels},
            "status": {"nodeInfo": {"architecture": arch}},
        }
        for name, arch, labels in [
            ("big", "amd64", {}),
            ("small", "amd64", {"kubernetes.io/storage": "none"}),
            ("pi", "arm64", {"node.kubernetes.io/instance-type": "raspberry-pi"}),
        ]
    ]
    path = tmp_path / "nodes.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": nodes}))
    assert main(["longhorn-settings", "--cluster", str(path)]) == 0
    out = capsys.readouterr().out
    values = yaml.safe_load(out)
    assert values["defaultSettings"]["systemManagedComponentsNodeSelector"] == (
        "node.longhorn.io/create-default-disk:true"
    )
    assert values["longhornManager"]["nodeSelector"] == {
        "node.longhorn.io/create-default-disk": "true"
    }
    assert "archfit label --apply" in out


def test_needs_a_source_of_nodes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["longhorn-settings"]) == 2
    assert "--cluster FILE or read them with --live" in capsys.readouterr().err
