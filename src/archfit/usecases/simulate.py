"""`archfit simulate`: read the inputs, place every pod as kube-scheduler would, run what-ifs.

    paths ──> load_manifests ──> workloads, PriorityClasses, RuntimeClasses, Services, PDBs,
                                 Namespaces, claims, volumes, storage classes (and Node objects)
    --cluster / Node objects / cluster.yaml found upwards ──> nodes  ± --add, --add-node, --remove
                    └──> Simulation ──> placements ──> --fail, --fail-each, --drain, --suggest
                                                      control-plane and N−1 survivability

Image platforms come from archfit.lock, or, on a first run (no lockfile) or with --resolve,
from the registries (`images=`, resolved by the caller as for `check`). Nothing is written.
Pods that carry `spec.nodeName` are bound as they are (a snapshot of a running cluster),
Pending pods are scheduled as themselves, and controllers are topped up to
their replicas as theirs would be (`archfit.scheduling.snapshot`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archfit.errors import InputError
from archfit.model.check import CheckInputs
from archfit.model.finding import Finding
from archfit.model.node import Node
from archfit.scheduling.admission import admission_from_documents
from archfit.scheduling.framework.cluster import DisruptionBudget, Service, Storage
from archfit.scheduling.platforms import ImageLookup, image_outcome
from archfit.scheduling.results import SimulateOptions, SimulateReport, parse_add
from archfit.scheduling.simulate import Simulation, SimulationConfig
from archfit.scheduling.suggest import suggest
from archfit.scheduling.whatif import WhatIf, control_plane_findings, drain, fail, fail_each
from archfit.sources.discovery import (
    CLI_SPELLING,
    CLUSTER_FILE,
    LOCK_FILE,
    Discovered,
    Spelling,
    discover,
)

if TYPE_CHECKING:
    from archfit.manifests import ManifestSet
    from archfit.policy import ImagePlatforms
    from archfit.sources import ReadSettings

__all__ = ["run_simulate"]

ALWAYS_SWEEP_NODES = 50


def _nodes(
    options: SimulateOptions, manifests: ManifestSet, found: Discovered, spelling: Spelling
) -> tuple[list[Node], list[str], Path | None, str | None]:
    """The nodes, the names of those added, and the inventory file read with its cluster
    name (None, `snapshot` for Node objects in the input)."""
    from archfit.model.profiles import nodes_from_profile  # noqa: PLC0415
    from archfit.sources import load_inventory  # noqa: PLC0415 - YAML readers load lazily

    source: Path | None = None
    name: str | None = "snapshot"
    # An explicit inventory wins over Node objects in the input, which win over a
    # cluster.yaml found nearby (as for `check`).
    if options.cluster is None and manifests.nodes:
        nodes = list(manifests.nodes)
    elif found.cluster is not None:
        source = found.cluster
        inventory = load_inventory(source)
        nodes, name = list(inventory.nodes), inventory.name
    else:
        raise InputError(
            f"no nodes: pass {spelling.of('cluster')} (an archfit Cluster file or "
            "`kubectl get nodes -o yaml` "
            f"output), put {CLUSTER_FILE} beside the manifests or above them, or include Node "
            "objects"
        )
    added: list[str] = []
    for text in options.add:
        try:
            count, profile = parse_add(text)
        except InputError as err:  # parse_add names the CLI option
            raise InputError(err.message, where=spelling.of("add")) from None
        try:
            new = nodes_from_profile(profile, count, taken=[n.name for n in nodes])
        except InputError as err:
            raise err.at(spelling.of("add")) from None
        nodes.extend(new)
        added.extend(n.name for n in new)
    for path in options.add_node:
        for node in load_inventory(path).nodes:
            if any(n.name == node.name for n in nodes):
                raise InputError(f"node {node.name!r} is already in the cluster", where=str(path))
            nodes.append(node)
            added.append(node.name)
    names = {n.name for n in nodes}
    for name in (*options.remove, *options.fail, *options.drain):
        if name not in names:
            raise InputError(
                f"no node named {name!r} in the cluster",
                where="/".join(spelling.of(o) for o in ("remove", "fail", "drain")),
            )
    nodes = [n for n in nodes if n.name not in options.remove]
    return nodes, added, source, name


def _objects(manifests: ManifestSet) -> dict[str, Any]:
    from archfit.model.k8s import label_selector  # noqa: PLC0415

    services = []
    for doc in manifests.of_kind("Service"):
        meta = doc.body.get("metadata") or {}
        selector = (doc.body.get("spec") or {}).get("selector") or {}
        if selector:
            services.append(
                Service(
                    str(meta.get("namespace") or "default"),
                    str(meta.get("name", "")),
                    {str(k): str(v) for k, v in selector.items()},
                )
            )
    budgets = []
    for doc in manifests.of_kind("PodDisruptionBudget"):
        meta = doc.body.get("metadata") or {}
        spec = doc.body.get("spec") or {}
        budgets.append(
            DisruptionBudget(
                str(meta.get("namespace") or "default"),
                str(meta.get("name", "")),
                label_selector(spec.get("selector"), f"{doc.source}: spec.selector"),
                spec.get("minAvailable"),
                spec.get("maxUnavailable"),
            )
        )
    namespaces = {
        str((d.body.get("metadata") or {}).get("name", "")): {
            str(k): str(v) for k, v in ((d.body.get("metadata") or {}).get("labels") or {}).items()
        }
        for d in manifests.of_kind("Namespace")
    }
    admission = admission_from_documents(
        d.body for d in manifests.of_kind("PriorityClass", "RuntimeClass")
    )
    return {
        "services": services,
        "budgets": budgets,
        "namespaces": namespaces,
        "admission": admission,
        "storage": Storage.of(
            manifests.pvcs, manifests.persistent_volumes, manifests.storage_classes
        ),
    }


def _image_lookup(path: Path | None, images: ImagePlatforms | None) -> ImageLookup:
    """Platforms of images as written in pods (cached per reference): from `images` when
    given (the lockfile topped up online), else from the lockfile at `path`."""
    from archfit.model.image import ImageRef  # noqa: PLC0415
    from archfit.model.imageinfo import ImageInfo  # noqa: PLC0415
    from archfit.policy.images import LockfileImages  # noqa: PLC0415
    from archfit.sources import read_lockfile  # noqa: PLC0415

    if images is None and path is not None:
        images = LockfileImages(read_lockfile(path), source=path.name)
    answers: dict[str, ImageInfo | None] = {}

    def lookup(image: str) -> ImageInfo | None:
        if image not in answers:
            try:
                ref = ImageRef.parse(image)
            except InputError:
                answers[image] = None
            else:
                answers[image] = (
                    images.lookup(ref)
                    if images is not None
                    else ImageInfo.unresolved(ref, f"no {LOCK_FILE}")
                )
        return answers[image]

    return lookup


def _arm64_check(lookup: ImageLookup) -> Callable[[str], bool | None]:
    from archfit.model.platform import Platform  # noqa: PLC0415

    arm64 = Platform.of("linux", "arm64")

    def check(image: str) -> bool | None:
        info = lookup(image)
        if info is None or info.status != "resolved":
            return None
        return any(p == arm64 for p in info.platforms)

    return check


def _image_outcomes(report: SimulateReport, lookup: ImageLookup) -> None:
    by_name = {n.name: n for n in report.nodes}
    for result in report.pods:
        node = by_name.get(result.node) if result.node is not None else None
        if node is None:
            continue
        outcome = image_outcome(result.pod.template, node, lookup)
        if outcome is not None:
            report.images[result.pod.key] = outcome


def run_simulate(
    paths: Sequence[Path | str],
    options: SimulateOptions,
    *,
    manifests: ManifestSet | None = None,
    progress: Callable[[str], None] | None = None,
    spelling: Spelling = CLI_SPELLING,
    entry: str | None = None,
    reading: ReadSettings | None = None,
    images: ImagePlatforms | None = None,
    image_findings: Sequence[Finding] = (),
) -> SimulateReport:
    """Simulate the manifests under `paths`; raises `InputError` for missing or bad inputs
    (naming explicit inputs as `spelling` says: CLI options or API arguments).

    `images` replaces the lockfile lookup (as for `run_check`: the lockfile topped up online
    on a first run, `archfit.usecases.images.resolve_missing_images`); `image_findings`, what
    was found about the images meanwhile (one `unresolved-images` when registries did not
    answer), become notes of the report."""
    from archfit.sources import ReadSettings  # noqa: PLC0415

    targets = [Path(p) for p in paths]
    for target in targets:
        if not target.exists():
            raise InputError("no such file or directory", where=str(target))
    found = discover(targets, cluster=options.cluster, lock=options.lock, spelling=spelling)
    if manifests is None:
        manifests = (reading or ReadSettings()).load(targets, entry=entry)
    several = entry is None and len(manifests.entry_points) > 1
    if several:
        # One simulation is one cluster: the entry points are simulated together as before
        # (each workload once), and a note says how to simulate one of them.
        once = {w.key: w for w in reversed(manifests.workloads)}
        kept = tuple(w for w in manifests.workloads if once[w.key] is w)
        manifests = dataclasses.replace(manifests, workloads=kept)
    nodes, added, cluster_path, cluster_name = _nodes(options, manifests, found, spelling)
    objects = _objects(manifests)
    config = SimulationConfig(version=options.version, seed=options.seed, explain=options.explain)
    simulation = Simulation(nodes, manifests.workloads, config=config, **objects)
    pods = simulation.run()
    report = SimulateReport(
        options, simulation, pods, tuple(nodes), tuple(added), tuple(options.remove)
    )
    report.inputs = CheckInputs(
        paths=tuple(str(p) for p in paths),
        cluster=str(cluster_path) if cluster_path is not None else None,
        lockfile=str(found.lock) if found.lock is not None else None,
        cluster_name=cluster_name,
    )
    report.notes.extend(f.message for f in manifests.findings if f.severity == "error")
    if several:
        report.notes.append(
            f"{len(manifests.entry_points)} entry points ({', '.join(manifests.entry_points)}) "
            "simulated together on one cluster; choose one with --entry"
        )
    report.notes.extend(f.message for f in image_findings)
    lookup = _image_lookup(found.lock, images)
    _image_outcomes(report, lookup)
    if options.fail:
        report.what_ifs.append(fail(simulation, list(options.fail)))
    for name in options.drain:
        report.what_ifs.append(drain(simulation, name))
    report.control_plane = control_plane_findings(nodes)
    # The N-1 sweep also answers "which workloads cannot survive the loss of any one node",
    # asked always on clusters small enough for it to be instant; only --fail-each makes its
    # failures fail the command.
    sweep: list[WhatIf] = []
    if options.fail_each:
        report.sweep = sweep = fail_each(simulation, progress)
    elif len(nodes) <= ALWAYS_SWEEP_NODES:
        sweep = fail_each(simulation)
    if sweep:
        for verdict in sweep:
            for displaced in verdict.displaced:
                if displaced.failed:
                    key = displaced.workload or f"Pod/{displaced.pod}"
                    report.fragile.setdefault(key, []).extend(verdict.nodes)
    if options.suggest:
        report.suggestions, report.suggested = suggest(simulation, _arm64_check(lookup))
    return report
