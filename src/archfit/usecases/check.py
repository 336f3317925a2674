"""`archfit check`: read the inputs, run the placement policy, return a `CheckReport`.

    paths ──> load_manifests ──> workloads, claims, storage classes (and Node objects)
    archfit.yaml (found upwards from the first path, or --config) ──> Settings
    cluster.yaml (--cluster, beside archfit.yaml, in the target dir, or the input's Nodes)
    archfit.lock (--lock, or beside archfit.yaml / in the target dir) ──> ImagePlatforms
                    └──> policy Engine ──> one verdict per workload ──> CheckReport

Nothing is written. Extension points are keyword arguments: `images` replaces the lockfile
lookup (e.g. a registry-backed resolver for `--resolve`), `nodes`/`cluster_name` replace the
inventory (e.g. a live cluster for `--live`), `manifests` replaces reading `paths` (the live
workloads), and `more_findings` adds findings computed with the same image platforms (the live
findings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from archfit.errors import InputError
from archfit.model.check import CheckInputs, CheckReport
from archfit.model.finding import Finding
from archfit.model.lockfile import Lockfile
from archfit.model.node import Node
from archfit.model.ownership import controllers
from archfit.policy import Engine, ImagePlatforms, LockfileImages, Settings, StorageIndex
from archfit.usecases.config import load_settings

if TYPE_CHECKING:
    from archfit.manifests import ManifestSet

__all__ = [
    "CLUSTER_FILE",
    "CONFIG_FILE",
    "LOCK_FILE",
    "find_check_lockfile",
    "require_objects",
    "run_check",
]

CONFIG_FILE = "archfit.yaml"
CLUSTER_FILE = "cluster.yaml"
LOCK_FILE = "archfit.lock"


def _target_dir(paths: Sequence[Path]) -> Path:
    first = paths[0]
    return first if first.is_dir() else first.parent


def _existing(path: Path | None, what: str, option: str) -> Path | None:
    if path is not None and not path.is_file():
        raise InputError(f"{what} not found (given with {option})", where=str(path))
    return path


def _beside(name: str, *dirs: Path | None) -> Path | None:
    for directory in dirs:
        if directory is not None and (directory / name).is_file():
            return directory / name
    return None


def find_check_lockfile(
    paths: Sequence[Path], *, lock: Path | None, config: Path | None
) -> Path | None:
    """The lockfile `check` reads: `--lock`, else beside archfit.yaml, else in the first path's
    directory; None when there is none (then `check` resolves online unless --offline)."""
    from archfit.manifests.config_discovery import find_config  # noqa: PLC0415

    if lock is not None and not lock.is_file():
        raise InputError("lockfile not found (given with --lock)", where=str(lock))
    targets = [Path(p) for p in paths]
    target_dir = Path()
    if targets:
        target_dir = targets[0] if targets[0].is_dir() else targets[0].parent
    policy = config or find_config(target_dir)
    dirs = [d for d in (policy.parent if policy else None, target_dir) if d is not None]
    candidates = [lock] if lock is not None else [d / LOCK_FILE for d in dirs]
    return next((c for c in candidates if c.is_file()), None)


def require_objects(manifests: ManifestSet, targets: Sequence[Path]) -> None:
    """Raise `InputError` when `manifests` hold no Kubernetes object and no problem report (an
    unreadable or broken file is reported as a finding instead)."""
    kube_objects = [d for d in manifests.documents if not d.api_version.startswith("archfit.dev")]
    if kube_objects or manifests.workloads or manifests.nodes or manifests.findings:
        return
    where = ", ".join(str(t) for t in targets)
    raise InputError(
        f"no Kubernetes objects found in {where} (expected YAML mappings with apiVersion and "
        "kind; pass --allow-empty to accept an empty input)"
    )


def run_check(
    paths: Sequence[Path | str],
    *,
    cluster: Path | None = None,
    lock: Path | None = None,
    config: Path | None = None,
    nodes: Sequence[Node] | None = None,
    cluster_name: str | None = None,
    images: ImagePlatforms | None = None,
    manifests: ManifestSet | None = None,
    more_findings: Callable[[ImagePlatforms], Iterable[Finding]] | None = None,
    allow_empty: bool = False,
) -> CheckReport:
    """Check the manifests under `paths`; raises `InputError` for missing or invalid inputs,
    and for paths that hold no Kubernetes object at all (a CI job pointed at the wrong directory
    must not pass) unless `allow_empty`."""
    # The readers pull in YAML machinery; importing them here keeps `import archfit.usecases`
    # cheap for entry points that only need the types.
    from archfit.manifests import (  # noqa: PLC0415
        find_config,
        load_inventory,
        load_manifests,
        read_lockfile,
    )

    if not paths and manifests is None:
        raise InputError("no path given; expected a directory or manifest files to check")
    targets = [Path(p) for p in paths]
    for target in targets:
        if not target.exists():
            raise InputError("no such file or directory", where=str(target))
    target_dir = _target_dir(targets) if targets else Path()

    config = _existing(config, "policy file", "--config") or find_config(target_dir)
    settings = load_settings(config) if config is not None else Settings()
    base = config.parent if config is not None else None

    top: list[Finding] = []
    if manifests is None:
        manifests = load_manifests(targets)
    if targets and not allow_empty:
        require_objects(manifests, targets)
    top.extend(manifests.findings)

    lock_path = _existing(lock, "lockfile", "--lock") or _beside(LOCK_FILE, base, target_dir)
    if images is None:
        lockfile = read_lockfile(lock_path) if lock_path is not None else Lockfile()
        images = LockfileImages(lockfile, source=lock_path.name if lock_path else LOCK_FILE)
        if lock_path is None:
            top.append(
                Finding(
                    "no-lockfile",
                    "warning",
                    f"no {LOCK_FILE} beside {CONFIG_FILE} or in {target_dir}: the platforms of "
                    "every image are unknown",
                    hint="create one with `archfit lock`, or run `archfit check --resolve`",
                    rule="inputs",
                )
            )
    if more_findings is not None:
        top.extend(more_findings(images))

    cluster_path: Path | None = None
    if nodes is None:
        cluster_path = _existing(cluster, "cluster file", "--cluster")
        if cluster_path is None and manifests.nodes:
            nodes = manifests.nodes
            cluster_name = cluster_name or "snapshot"
        else:
            cluster_path = cluster_path or _beside(CLUSTER_FILE, base, target_dir)
            if cluster_path is not None:
                inventory = load_inventory(cluster_path)
                nodes, cluster_name = inventory.nodes, cluster_name or inventory.name
    if not nodes:
        top.append(
            Finding(
                "no-inventory",
                "warning",
                f"no cluster inventory ({CLUSTER_FILE}, --cluster, or Node objects in the "
                "input): placements are computed for the architectures "
                f"{', '.join(settings.nodes.architectures)}, but no node is checked",
                hint=f"describe the nodes in {CLUSTER_FILE} or pass "
                "`kubectl get nodes -o yaml` output with --cluster",
                rule="inputs",
            )
        )

    engine = Engine(
        settings,
        images,
        tuple(nodes or ()),
        inventory=bool(nodes),
        storage=StorageIndex.of(manifests.pvcs, manifests.storage_classes),
    )
    verdicts = tuple(engine.evaluate(workload) for workload in controllers(manifests.workloads))
    return CheckReport(
        workloads=verdicts,
        findings=tuple(top),
        nodes=tuple(nodes or ()),
        inputs=CheckInputs(
            paths=tuple(str(p) for p in paths),
            cluster=str(cluster_path) if cluster_path is not None else None,
            lockfile=str(lock_path) if lock_path is not None else None,
            config=str(config) if config is not None else None,
            cluster_name=cluster_name,
        ),
    )
