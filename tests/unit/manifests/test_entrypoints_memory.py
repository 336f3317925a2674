"""Entry points are found through the `FileTree` a caller hands in, never the disk: the
entry-point fixture trees, loaded into memory, give the same deployments with every file-system
call of this process made to raise."""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import pathlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.memory_tree import MemoryTree, memory_reader

from archfit.manifests import ManifestSet, expand_documents
from archfit.manifests.renderers import Renderers
from archfit.manifests.sources import SourceContext
from archfit.sources import load_manifests

FS_CALLS = [
    (builtins, "open"),
    (io, "open"),
    (os, "open"),
    (os, "walk"),
    (os, "listdir"),
    (os, "scandir"),
    (os, "stat"),
    (os, "lstat"),
    (os.path, "realpath"),
    (pathlib.Path, "is_dir"),
    (pathlib.Path, "is_file"),
    (pathlib.Path, "exists"),
    (pathlib.Path, "resolve"),
    (pathlib.Path, "iterdir"),
    (pathlib.Path, "glob"),
    (pathlib.Path, "read_text"),
    (pathlib.Path, "read_bytes"),
]


def _load_tree(root: Path) -> MemoryTree:
    return MemoryTree(
        {str(f): f.read_text(encoding="utf-8") for f in sorted(root.rglob("*")) if f.is_file()}
    )


@contextlib.contextmanager
def file_system_refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every call in FS_CALLS raises while the block runs."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"file system touched: {args!r}")

    with monkeypatch.context() as patched:
        for owner, name in FS_CALLS:
            patched.setattr(owner, name, refuse)
        yield


def _in_memory(tree: MemoryTree, root: Path, entry: str | None) -> ManifestSet:
    read = memory_reader(tree)
    context = SourceContext(roots=(root,), read=read, files=tree, renderers=Renderers())
    return expand_documents(read((root,)), context, entry=entry)


def _placed(manifests: ManifestSet) -> set[tuple[str, str]]:
    return {(w.entry_point, w.key) for w in manifests.workloads}


def _not_deployed(manifests: ManifestSet) -> list[str]:
    [finding] = [f for f in manifests.findings if f.id == "not-deployed"]
    files: list[str] = finding.details["files"]
    return files


@pytest.mark.parametrize(
    ("tree_name", "placed", "left_out"),
    [
        (
            "flux",
            {
                ("clusters/prod", "Deployment/web-prod/web"),
                ("clusters/prod", "DaemonSet/monitoring/node-exporter"),
                ("clusters/staging", "Deployment/web-staging/web"),
                ("clusters/staging", "DaemonSet/monitoring/node-exporter"),
            },
            "examples/demo/deployment.yaml",
        ),
        (
            "argo",
            {
                ("clusters/prod", "Deployment/web-prod/web"),
                ("clusters/staging", "Deployment/web-staging/web"),
            },
            "templates/app/deployment.yaml",
        ),
    ],
)
def test_entry_points_from_a_tree_in_memory(
    fixtures_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    tree_name: str,
    placed: set[tuple[str, str]],
    left_out: str,
) -> None:
    root = (fixtures_dir / "entrypoints" / tree_name).resolve()
    tree = _load_tree(root)
    from_disk = load_manifests([root], renderers=Renderers())

    with file_system_refused(monkeypatch):
        in_memory = _in_memory(tree, root, None)
        staging = _in_memory(tree, root, "clusters/staging")

    assert in_memory.entry_points == ("clusters/prod", "clusters/staging")
    assert _placed(in_memory) == placed
    assert _not_deployed(in_memory) == [str(root / left_out)]
    assert _placed(staging) == {p for p in placed if p[0] == "clusters/staging"}
    assert in_memory.entry_points == from_disk.entry_points
    assert _placed(in_memory) == _placed(from_disk)
    assert _not_deployed(in_memory) == _not_deployed(from_disk)


def test_the_guard_refuses_the_file_system(
    fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard above catches each kind of access the modules used to make."""
    file = fixtures_dir / "entrypoints" / "flux" / "apps" / "prod" / "kustomization.yaml"
    calls: list[Callable[[], object]] = [
        file.parent.is_dir,
        file.is_file,
        lambda: next(os.walk(file.parent)),
        lambda: open(file, encoding="utf-8"),  # noqa: SIM115 - never opened
        lambda: os.path.realpath(file),
    ]
    for call in calls:
        with file_system_refused(monkeypatch), pytest.raises(AssertionError, match="touched"):
            call()


@pytest.mark.parametrize(
    ("tree_name", "keys"),
    [
        ("directories", {"Deployment/web/web", "Deployment/api/api"}),
        ("files", {"Deployment/media-lab/jellyfin", "Deployment/media-prod/jellyfin"}),
    ],
)
def test_applicationset_git_generators_from_a_tree_in_memory(
    fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch, tree_name: str, keys: set[str]
) -> None:
    """The git generators list directories and read config files from the tree given."""
    root = (fixtures_dir / "argocd-appset" / tree_name).resolve()
    tree = _load_tree(root)
    from_disk = load_manifests([root], renderers=Renderers())

    with file_system_refused(monkeypatch):
        in_memory = _in_memory(tree, root, None)

    assert {w.key for w in in_memory.workloads} == keys
    assert in_memory.entry_points == ("argocd",)
    assert _placed(in_memory) == _placed(from_disk)
    assert in_memory.entry_points == from_disk.entry_points
