"""`archfit check`: read the inputs, run the placement policy, return a `CheckReport`.

    paths ──> load_manifests ──> workloads, claims, storage classes (and Node objects)
    archfit.yaml (--config, or found upwards from the first path) ──> Settings
    cluster.yaml (--cluster, the input's Nodes, or found upwards) ──> nodes
    archfit.lock (--lock, or found upwards) ──> ImagePlatforms
    (`archfit.sources.discovery` finds the three files, the same way for every command)
                    └──> policy Engine ──> one verdict per workload ──> CheckReport

Nothing is written. Extension points are keyword arguments: `images` replaces the lockfile
lookup (e.g. a registry-backed resolver for `--resolve`), `nodes`/`cluster_name` replace the
inventory (e.g. a live cluster for `--live`), `manifests` replaces reading `paths` (the live
workloads), and `more_findings` adds findings computed with the same image platforms (the live
findings).
"""

from __future__ import annotations

import dataclasses
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
from archfit.sources.discovery import (
    CLI_SPELLING,
    CLUSTER_FILE,
    LOCK_FILE,
    Spelling,
    discover,
)
from archfit.usecases.config import load_settings

if TYPE_CHECKING:
    from archfit.manifests import ManifestSet
    from archfit.sources import ReadSettings

__all__ = [
    "CLUSTER_FILE",
    "CONFIG_FILE",
    "LOCK_FILE",
    "find_check_lockfile",
    "require_objects",
    "run_check",
    "settled",
]

CONFIG_FILE = "archfit.yaml"


def find_check_lockfile(
    paths: Sequence[Path], *, lock: Path | None, config: Path | None
) -> Path | None:
    """The lockfile `check` reads (`--lock`, else the nearest archfit.lock upwards); None when
    there is none, and then `check` resolves the images online unless --offline."""
    return discover([Path(p) for p in paths], config=config, lock=lock).lock


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


def settled(findings: Iterable[Finding], settings: Settings) -> tuple[Finding, ...]:
    """The findings about the inputs as `archfit.yaml` wants them: an `ignore` entry naming
    their id (and no workload or image: they have none) drops them, `rules.severity` re-grades
    them, as for the policy's own findings."""
    dropped = {
        finding_id
        for entry in settings.ignore
        if entry.workload is None and entry.image is None
        for finding_id in entry.findings
    }
    out = []
    for finding in findings:
        if finding.id in dropped:
            continue
        severity = settings.rules.severity.get(finding.id, finding.severity)
        out.append(dataclasses.replace(finding, severity=severity))
    return tuple(out)


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
    reading: ReadSettings | None = None,
    spelling: Spelling = CLI_SPELLING,
    allow_empty: bool = False,
    entry: str | None = None,
) -> CheckReport:
    """Check the manifests under `paths`; raises `InputError` for missing or invalid inputs
    (naming explicit inputs as `spelling` says: CLI options or API arguments), and for paths
    that hold no Kubernetes object at all (a CI job pointed at the wrong directory must not
    pass) unless `allow_empty`."""
    # The readers pull in YAML machinery; importing them here keeps `import archfit.usecases`
    # cheap for entry points that only need the types.
    from archfit.sources import ReadSettings, load_inventory, read_lockfile  # noqa: PLC0415

    if not paths and manifests is None:
        raise InputError("no path given; expected a directory or manifest files to check")
    targets = [Path(p) for p in paths]
    for target in targets:
        if not target.exists():
            raise InputError("no such file or directory", where=str(target))
    found = discover(targets, config=config, cluster=cluster, lock=lock, spelling=spelling)
    config = found.config
    settings = load_settings(config) if config is not None else Settings()

    top: list[Finding] = []
    if manifests is None:
        manifests = (reading or ReadSettings()).load(targets, entry=entry)
    if targets and not allow_empty:
        require_objects(manifests, targets)
    top.extend(manifests.findings)

    lock_path = found.lock
    if images is None:
        lockfile = read_lockfile(lock_path) if lock_path is not None else Lockfile()
        images = LockfileImages(lockfile, source=lock_path.name if lock_path else LOCK_FILE)
        if lock_path is None:
            top.append(
                Finding(
                    "no-lockfile",
                    "warning",
                    f"no {LOCK_FILE} in {found.target} or above it: the platforms of "
                    "every image are unknown",
                    hint="create one with `archfit lock`, or run `archfit check --resolve`",
                    rule="inputs",
                )
            )
    if more_findings is not None:
        top.extend(more_findings(images))

    cluster_path: Path | None = None
    if nodes is None:
        # An explicit inventory wins over Node objects in the input (a snapshot), which win
        # over a cluster.yaml found nearby.
        if cluster is None and manifests.nodes:
            nodes = manifests.nodes
            cluster_name = cluster_name or "snapshot"
        else:
            cluster_path = found.cluster
            if cluster_path is not None:
                inventory = load_inventory(cluster_path)
                nodes, cluster_name = inventory.nodes, cluster_name or inventory.name
    if not nodes:
        top.append(
            Finding(
                "no-inventory",
                "warning",
                f"no cluster inventory ({CLUSTER_FILE}, {spelling.of('cluster')}, or Node objects "
                "in the input): placements are computed for the architectures "
                f"{', '.join(settings.nodes.architectures)}, but no node is checked, and the "
                "Raspberry Pi rules (size, light-workloads) have nothing to judge",
                hint=f"describe the nodes in {CLUSTER_FILE} or pass "
                f"`kubectl get nodes -o yaml` output with {spelling.of('cluster')}",
                rule="inputs",
            )
        )

    pi = settings.nodes.raspberry_pi
    if nodes and not any(pi.matches(n.labels) for n in nodes):
        # One line instead of nothing: a reader should know why no workload was judged for them.
        top.append(
            Finding(
                "pi-rules-skipped",
                "info",
                f"no node of the inventory is a Raspberry Pi (labelled {pi}): the Pi rules "
                "(size, light-workloads) have nothing to judge",
                hint=f"label the Pis {pi}, or set nodes.raspberryPi to the label they carry",
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
        findings=settled(top, settings),
        nodes=tuple(nodes or ()),
        inputs=CheckInputs(
            paths=tuple(str(p) for p in paths),
            cluster=str(cluster_path) if cluster_path is not None else None,
            lockfile=str(lock_path) if lock_path is not None else None,
            config=str(config) if config is not None else None,
            cluster_name=cluster_name,
        ),
    )
