"""`archfit simulate` on what `archfit snapshot` wrote: every running pod once, and the Pending
pod scheduled as itself (same name and owner), not recreated beside itself."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from archfit.cli.main import main
from archfit.scheduling.results import SimulateOptions
from archfit.usecases.simulate import run_simulate


def test_simulating_a_snapshot_counts_every_pod_once(kubeconfig: Path, tmp_path: Path) -> None:
    out = tmp_path / "snap.yaml"
    assert main(["snapshot", "--kubeconfig", str(kubeconfig), "-o", str(out)]) == 0
    report = run_simulate([out], SimulateOptions())
    # The recorded cluster runs 40 pods: 39 bound ones and the Pending gpu-inference pod.
    assert len(report.pods) == 40
    assert sum(r.bound_in_input for r in report.pods) == 39
    owners = Counter(r.pod.owner for r in report.pods if not r.bound_in_input)
    assert len(owners) == 1
    ((owner, count),) = owners.items()
    assert owner is not None
    assert owner.startswith("ReplicaSet/gpu-inference-")
    assert count == 1
    pending = [r for r in report.pods if r.node is None]
    assert [r.pod.owner for r in pending] == [owner]
    # The recorded Pending pod keeps its name: it is simulated, not replaced.
    assert [r.pod.name for r in pending] == ["gpu-inference-7c9758fffc-jbxsp"]
