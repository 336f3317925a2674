"""On the real repositories in ../shared/fixtures/gitops: nothing valid is reported invalid, and
`fix` (run on a copy, against the example homelab's inventory) leaves every workload that had a
node with one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archfit.sources import load_manifests
from archfit.usecases.check import run_check
from archfit.usecases.fix import run_fix

pytestmark = pytest.mark.shared

REPOS = ("onedr0p__home-ops", "jmerhib__pi-cluster")
CLUSTER = Path(__file__).resolve().parents[3] / "examples" / "homelab" / "cluster.yaml"


@pytest.mark.parametrize("name", REPOS)
def test_nothing_valid_is_reported_invalid(name: str, shared_dir: Path) -> None:
    manifests = load_manifests([shared_dir / "fixtures" / "gitops" / name])
    invalid = [f for f in manifests.findings if f.id in {"invalid-yaml", "invalid-manifest"}]
    assert invalid == []


@pytest.mark.parametrize("name", REPOS)
def test_fix_leaves_every_schedulable_workload_schedulable(
    name: str, shared_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / name
    shutil.copytree(shared_dir / "fixtures" / "gitops" / name, copy)
    before = {v.workload.key: v for v in run_check([copy], cluster=CLUSTER).workloads}
    outcome = run_fix([copy], cluster=CLUSTER)
    after = {v.workload.key: v for v in run_check([copy], cluster=CLUSTER).workloads}
    assert after.keys() == before.keys()
    lost = [k for k, v in before.items() if v.eligible_nodes and not after[k].eligible_nodes]
    assert lost == [], outcome.written
    # Workloads without findings were not edited.
    untouched = [k for k, v in before.items() if not v.findings]
    for key in untouched:
        assert after[key].workload.template == before[key].workload.template, key
