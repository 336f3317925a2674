"""The policy over real GitOps repositories: every workload gets a verdict, nothing crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from archfit.policy import Engine, LockfileImages, Settings, StorageIndex
from archfit.sources import load_inventory, load_manifests

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.shared
@pytest.mark.parametrize("repo", ["jmerhib__pi-cluster", "onedr0p__home-ops"])
def test_every_workload_gets_a_verdict(shared_dir: Path, repo: str) -> None:
    manifests = load_manifests([shared_dir / "fixtures/gitops" / repo])
    assert manifests.workloads
    nodes = load_inventory(ROOT / "examples/homelab/cluster.yaml").nodes
    names = {n.name for n in nodes}
    for inventory in (nodes, ()):
        engine = Engine(
            Settings(),
            LockfileImages(None),
            inventory,
            inventory=bool(inventory),
            storage=StorageIndex.of(manifests.pvcs, manifests.storage_classes),
        )
        verdicts = [engine.evaluate(w) for w in manifests.workloads]
        assert [v.workload for v in verdicts] == list(manifests.workloads)
        for verdict in verdicts:
            # Without a lockfile nothing is known about the images.
            assert verdict.allowed_architectures is None
            assert all(u.info is None or u.info.status == "unresolved" for u in verdict.images)
            if inventory:
                assert verdict.eligible_nodes is not None
                assert set(verdict.eligible_nodes) | set(verdict.rejections) == names
            else:
                assert verdict.eligible_nodes is None
