"""`archfit fix` end to end through the CLI, with the real policy, on a copy of the bundled
homelab example: the dry run prints a diff and writes nothing, the fix writes, the second run has
nothing left to do, and `check` then finds the placements in place."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from archfit.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def homelab(tmp_path: Path) -> Path:
    target = tmp_path / "homelab"
    shutil.copytree(ROOT / "examples" / "homelab", target)
    return target


def test_dry_run_then_fix_then_nothing_left(
    homelab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _digest(homelab)
    assert main(["fix", str(homelab), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "+++ b/" in out
    assert "+          requiredDuringSchedulingIgnoredDuringExecution:" in out
    assert _digest(homelab) == before

    assert main(["fix", str(homelab)]) == 0
    out = capsys.readouterr().out
    assert "wrote " in out
    changed = {k for k, v in _digest(homelab).items() if before.get(k) != v}
    assert changed
    assert all(k.startswith("apps/") for k in changed)

    assert main(["fix", str(homelab), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == []
    assert report["diff"] == ""


def test_bad_format_is_a_usage_error(homelab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", str(homelab), "--format", "xml"]) == 2
    assert "--format" in capsys.readouterr().err


def test_fixed_workloads_may_run_exactly_where_the_policy_said(homelab: Path) -> None:
    """`check` computes eligible nodes with archfit's placement applied; after `fix` wrote that
    placement, the manifests alone give the same nodes, and the placement has nothing to add.
    Workloads `check` marked ok are left as they were."""
    from archfit.model.affinity import merge_node_affinity
    from archfit.usecases.check import run_check

    before = {v.workload.key: v for v in run_check([homelab]).workloads}
    assert main(["fix", str(homelab)]) == 0
    after = {v.workload.key: v for v in run_check([homelab]).workloads}
    assert after.keys() == before.keys()
    for key, verdict in after.items():
        assert verdict.eligible_nodes == before[key].eligible_nodes, key
        written = verdict.workload.template.node_affinity
        if not before[key].findings:
            assert verdict.workload.template == before[key].workload.template, key
            continue
        placement = before[key].placement
        assert merge_node_affinity(written, placement.required, placement.preferred) == (
            written or merge_node_affinity(None)
        ), key
