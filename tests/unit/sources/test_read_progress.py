"""The read path tells a progress observer how far it has come: files found and decoded (in
one process or several), renders finished, and the end."""

from __future__ import annotations

from pathlib import Path

from tests.support.kustomize import patched_overlay, require_kustomize

from archfit.sources import ReadSettings, load_manifests
from archfit.sources import renderers as kustomize_source
from archfit.sources.parallel import read_files_parallel
from archfit.sources.progress import ReadCounts

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{n}}}\ndata: {{n: '{n}'}}\n"


def _tree(root: Path, count: int) -> Path:
    (root / "nested").mkdir(parents=True)
    for n in range(count):
        where = root / "nested" if n % 2 else root
        (where / f"c{n}.yaml").write_text(CONFIGMAP.format(n=n))
    (root / "notes.txt").write_text("not a manifest: never counted as one to read\n")
    return root


def test_every_file_is_counted_once_and_the_end_is_said(tmp_path: Path) -> None:
    seen: list[ReadCounts] = []
    manifests = load_manifests([_tree(tmp_path / "tree", 7)], jobs=1, progress=seen.append)
    assert len(manifests.of_kind("ConfigMap")) == 7
    assert seen[0] == ReadCounts(files_read=0, files_total=7, rendered=0)
    assert [c.files_read for c in seen[1:-1]] == [1, 2, 3, 4, 5, 6, 7]
    assert all(c.files_total == 7 and not c.finished for c in seen[:-1])
    assert seen[-1] == ReadCounts(files_read=7, files_total=7, rendered=0, finished=True)


def test_read_settings_pass_the_observer_down(tmp_path: Path) -> None:
    seen: list[ReadCounts] = []
    ReadSettings(jobs=1, progress=seen.append).load(_tree(tmp_path / "tree", 3))
    assert seen[-1] == ReadCounts(files_read=3, files_total=3, rendered=0, finished=True)


def test_several_processes_report_a_chunk_at_a_time_and_sum_to_every_file(
    tmp_path: Path,
) -> None:
    root = _tree(tmp_path / "tree", 40)
    files = sorted((p, p.name) for p in root.rglob("*.yaml"))
    told: list[int] = []
    results = read_files_parallel(files, 2, on_read=told.append)
    assert len(results) == 40
    assert sum(told) == 40
    assert len(told) > 1  # chunks, not one report at the end
    assert all(step > 0 for step in told)


def test_a_kustomize_build_counts_as_a_render(tmp_path: Path) -> None:
    require_kustomize(kustomize_source.kustomize_command() is not None)
    overlay = patched_overlay(tmp_path)
    seen: list[ReadCounts] = []
    manifests = load_manifests([overlay], jobs=1, progress=seen.append)
    (workload,) = manifests.workloads
    assert workload.template.node_selector == {"kubernetes.io/arch": "amd64"}  # it rendered
    last = seen[-1]
    assert (last.rendered, last.finished) == (1, True)
    assert last.files_read == last.files_total == 4
    assert [c.rendered for c in seen] == sorted(c.rendered for c in seen)
