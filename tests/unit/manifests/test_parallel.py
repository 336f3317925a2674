"""Reading files in several processes gives exactly what reading them in one does: the same
documents with the same lines, the same problems, in the same order; a failing worker is a
clean error; no process outlives the read."""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archfit.errors import InputError
from archfit.manifests.documents import ReadResult
from archfit.sources import ReadSettings, load_manifests, parallel, read_documents
from archfit.sources.files import read_file
from archfit.sources.parallel import (
    MIN_BYTES,
    ParallelReadError,
    jobs_setting,
    planned_workers,
    read_files_parallel,
)
from archfit.sources.runtime import ENV_JOBS


def _jobs_from(environ: dict[str, str]) -> int | None:
    """The `jobs` the CLI passes down for `environ` (it reads the environment, not the readers)."""
    return ReadSettings.from_environment(environ).jobs


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{n}
  labels: {{app: web-{n}, tier: "{n}"}}
spec:
  replicas: {n}
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/example/web:1.{n}.0
          resources: {{requests: {{cpu: 100m, memory: 64Mi}}}}
          env:
            - {{name: ENABLED, value: yes}}
            - {{name: WHEN, value: 2024-01-0{d}}}
"""
LIST = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {{name: a-{n}}}
  - apiVersion: v1
    kind: Service
    metadata: {{name: b-{n}}}
"""
BROKEN = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed-{n}\n"
VALUES = "replicaCount: {n}\nimage: {{tag: latest}}\n"


def _canonical(result: ReadResult) -> str:
    """Everything a reader returns, as text that tells `1` from `True` and `1.0`."""
    return repr((result.documents, result.problems, result.files_read))


def _assert_same(sequential: ReadResult, parallel_result: ReadResult) -> None:
    assert parallel_result.files_read == sequential.files_read
    assert parallel_result.problems == sequential.problems
    assert parallel_result.documents == sequential.documents
    assert _canonical(parallel_result) == _canonical(sequential)


@pytest.fixture
def always_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use worker processes for inputs of any size (the thresholds are about speed only)."""
    monkeypatch.setattr(parallel, "MIN_FILES", 0)
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)


@pytest.fixture
def same_threshold_unforked(monkeypatch: pytest.MonkeyPatch) -> None:
    """One size threshold whether or not workers can be forked here: threads that other tests
    leave running in this process make archfit spawn workers, which needs larger inputs."""
    monkeypatch.setattr(parallel, "MIN_BYTES_UNFORKED", MIN_BYTES)


@pytest.fixture(autouse=True)
def no_process_left() -> Iterator[None]:
    yield
    assert multiprocessing.active_children() == []


def _write_tree(root: Path, files: int) -> None:
    """A tree with every kind of content the reader treats differently."""
    for i in range(files):
        directory = root / f"team-{i % 7}" / f"app-{i}"
        directory.mkdir(parents=True)
        docs = [DEPLOYMENT.format(n=i * 10 + k, d=k % 9 + 1) for k in range(8)]
        if i % 5 == 0:
            docs.insert(2, LIST.format(n=i))
        if i % 11 == 0:
            docs.insert(1, BROKEN.format(n=i))
        (directory / "resources.yaml").write_text("---\n".join(docs))
        if i % 13 == 0:
            (directory / "values.yaml").write_text(VALUES.format(n=i))
        if i % 17 == 0:
            (directory / "kustomization.yaml").write_text(f"namespace: team-{i}\n")
        if i % 19 == 0:
            (directory / "latin1.yaml").write_bytes(b"kind: Pod\nname: caf\xe9\n")
    (root / "team-0" / "empty.yml").write_text("")


@pytest.mark.usefixtures("same_threshold_unforked")
def test_a_generated_tree_reads_the_same_in_one_and_in_several_processes(tmp_path: Path) -> None:
    _write_tree(tmp_path, MIN_BYTES // 3000)
    # Named twice and overlapping, with a missing path between: order and dedup are kept.
    paths = [tmp_path, tmp_path / "missing", tmp_path / "team-1" / "app-1" / "resources.yaml"]
    files = sorted(tmp_path.rglob("*.y*ml"))
    assert sum(f.stat().st_size for f in files) >= MIN_BYTES
    assert planned_workers([(f, str(f)) for f in files], 2) == 2  # large enough by default
    sequential = read_documents(paths, jobs=1)
    several = read_documents(paths, jobs=2)
    assert len(sequential.documents) > 1000
    assert {p.message.split(": ", 1)[1][:20] for p in sequential.problems} == {
        "no such file or dire",
        "invalid YAML: did no",
        "not UTF-8 text (byte",
    }
    _assert_same(sequential, several)


@pytest.mark.shared
@pytest.mark.usefixtures("always_parallel")
def test_the_shared_gitops_repositories_read_the_same(shared_dir: Path) -> None:
    root = shared_dir / "fixtures" / "gitops"
    sequential = read_documents(root, jobs=1)
    assert len(sequential.documents) > 500
    _assert_same(sequential, read_documents(root, jobs=2))
    assert load_manifests(root, jobs=2) == load_manifests(root, jobs=1)


_FRAGMENTS = st.sampled_from(
    [
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
        "apiVersion: v1\nkind: ConfigMap\ndata: {a: '1', b: 2, c: on, d: 0o10, e: .nan}\n",
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod}\n- 3\n",
        "apiVersion: v1\nkind: NodeList\nitems:\n- metadata: {name: n1}\n",
        "a: &x [1, 2]\nb: *x\napiVersion: v1\nkind: Secret\n",
        "kind: Pod\napiVersion: v1\nspec: {containers: [{name: [oops}\n",
        "key: value\n",
        "# a comment only\n",
        "%YAML 1.1\n",
        "---\n",
        "--- |\n  text\n",
        "  - indented: [\n",
    ]
)
_FILE = st.one_of(
    st.lists(_FRAGMENTS, max_size=5).map(lambda parts: "".join(parts).encode()),
    st.binary(max_size=40),
)


@settings(max_examples=25)
@given(files=st.lists(st.tuples(st.sampled_from(["", "sub/", "sub/deep/"]), _FILE), max_size=8))
def test_random_small_trees_read_the_same(files: list[tuple[str, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "MIN_FILES", 0)
        patch.setattr(parallel, "MIN_BYTES", 0)
        root = Path(tmp)
        for i, (where, data) in enumerate(files):
            path = root / where / f"f{i}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        sequential = read_documents(root, jobs=1)
        several = read_documents(root, jobs=2)
    # Compared as text: `.nan` is unequal to itself, and text also tells `1` from `True`.
    assert _canonical(several) == _canonical(sequential)


def _listed(root: Path) -> list[tuple[Path, str]]:
    return [(p, str(p)) for p in sorted(root.rglob("*.yaml"))]


def test_a_worker_error_is_a_clean_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_tree(tmp_path, 12)
    real, parent = read_file, os.getpid()

    def exhausted(path: Path, display: str | None = None) -> ReadResult:
        if os.getpid() != parent:
            raise MemoryError("cannot allocate")
        time.sleep(0.02)  # leave the workers time to take the first chunks
        return real(path, display)

    # Forked workers inherit the patched reader (a MemoryError cannot be provoked reliably);
    # this process reads a share of the files itself, and succeeds.
    monkeypatch.setattr(parallel, "read_file", exhausted)
    with pytest.raises(ParallelReadError, match=f"MemoryError: cannot allocate; set {ENV_JOBS}=1"):
        read_files_parallel(_listed(tmp_path), 2, start_method="fork")


@pytest.mark.timeout(60)
def test_a_worker_that_dies_is_a_clean_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_tree(tmp_path, 12)
    real, parent = read_file, os.getpid()

    def killed(path: Path, display: str | None = None) -> ReadResult:
        if os.getpid() != parent:
            os._exit(137)  # what the kernel's out-of-memory killer leaves behind
        time.sleep(0.02)
        return real(path, display)

    monkeypatch.setattr(parallel, "read_file", killed)
    with pytest.raises(ParallelReadError, match="stopped unexpectedly"):
        read_files_parallel(_listed(tmp_path), 2, start_method="fork")


@pytest.mark.parametrize("method", ["forkserver", "spawn"])
def test_other_start_methods_read_the_same(tmp_path: Path, method: str) -> None:
    _write_tree(tmp_path, 10)
    listed = _listed(tmp_path)
    expected = [_canonical(read_documents(path, jobs=1)) for path, _ in listed]
    assert [_canonical(r) for r in read_files_parallel(listed, 2, start_method=method)] == expected


def test_fork_is_not_used_while_other_threads_run(tmp_path: Path) -> None:
    _write_tree(tmp_path, MIN_BYTES // 3000)
    big = _listed(tmp_path)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert parallel._context().get_start_method() != "fork"
        # Workers that must import archfit first pay off only for much larger inputs.
        assert planned_workers(big, 2) == 1
    finally:
        stop.set()
        thread.join()


def test_jobs_come_from_the_parameter_the_entry_point_reads_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_JOBS, "1")  # the readers themselves never look
    cpus = min(len(os.sched_getaffinity(0)), 8)
    assert jobs_setting() == cpus
    assert jobs_setting(3) == 3
    assert jobs_setting(_jobs_from({})) == cpus
    assert jobs_setting(_jobs_from({ENV_JOBS: "1"})) == 1
    assert jobs_setting(_jobs_from({ENV_JOBS: "0"})) == cpus
    with pytest.raises(InputError, match="ARCHFIT_JOBS: expected a whole number"):
        _jobs_from({ENV_JOBS: "many"})


@pytest.mark.usefixtures("same_threshold_unforked")
def test_small_inputs_and_archfit_jobs_1_stay_in_one_process(tmp_path: Path) -> None:
    _write_tree(tmp_path, 3)
    small = _listed(tmp_path)
    assert planned_workers(small, 8) == 1
    _write_tree(tmp_path / "big", MIN_BYTES // 3000)
    big = _listed(tmp_path)
    assert planned_workers(big, 2) == 2
    assert planned_workers(big, _jobs_from({ENV_JOBS: "1"})) == 1


@pytest.mark.usefixtures("same_threshold_unforked")
def test_left_to_archfit_a_busy_machine_is_read_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_tree(tmp_path, MIN_BYTES // 3000)
    big = _listed(tmp_path)
    cpus = jobs_setting()
    # The load average cannot be raised on demand: it is injected at the os boundary.
    monkeypatch.setattr(os, "getloadavg", lambda: (float(cpus), 0.0, 0.0))
    assert planned_workers(big) == 1
    assert planned_workers(big, 2) == 2  # asked for explicitly: honoured
    assert planned_workers(big, _jobs_from({ENV_JOBS: "2"})) == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert planned_workers(big) == min(cpus, len(big))
