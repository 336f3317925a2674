"""Entry points: the deployments a repository describes (one per cluster or environment).

A *deployer* is an object that makes a GitOps controller apply a directory: a Flux
`Kustomization` (kustomize.toolkit.fluxcd.io, its `spec.path`), an Argo CD `Application` (its
local source paths) or `ApplicationSet` (the paths of the Applications it generates). A deployer
*reaches* every file below the directories it applies, the files and directories their
`kustomization.yaml`s name in `resources`/`bases`/`components`, and, transitively, what the
deployers found there reach.

The roots are the deployers written in files that no other deployer reaches (a deployer that
applies its own directory, like Flux's `flux-system` sync, still counts as a root); generated
Applications are never roots. Each root gives an entry point named by a path relative to the
input directory: the directory it applies when that directory holds the root itself (Flux's
`clusters/prod/flux-system` sync of `./clusters/prod` is `clusters/prod`), else the root's own
directory. Roots with the same name are one entry point (the Kustomizations of one cluster,
the Applications of one directory). A Flux Kustomization that applies only directories below
its own (one app's `ks.yaml`) is never a root: it belongs to whatever applies its directory,
so a subtree of apps alone reads as today. Roots that apply nothing found here (remote charts
or repositories only) give no entry points by themselves.

`select` then models each entry point as its own deployment: a workload carries the name of
the entry point it was reached from, once per entry point; what no entry point reaches is left
out and listed in one `not-deployed` info finding. With no root found everything is kept as
read.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archfit.errors import InputError
from archfit.manifests.documents import KUSTOMIZATION_FILES, Document
from archfit.manifests.sources._common import Namespaces, flux_labels
from archfit.manifests.sources.argodirectory import application_dirs, directory_filter
from archfit.manifests.sources.interface import FileTree
from archfit.model.finding import Finding
from archfit.model.workload import SourceRef, Workload

__all__ = ["EntryPoint", "find_entry_points", "select"]

FLUX_GROUP = "kustomize.toolkit.fluxcd.io"
ARGO_GROUP = "argoproj.io"


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """One deployment: `name` (a path relative to the input), the `roots` (file:line of the
    deployers it starts from) and the real paths (directories and files) it reaches."""

    name: str
    roots: tuple[str, ...]
    reached: frozenset[str]
    deployers: frozenset[str] = frozenset()
    path: str = ""
    # Files below what is reached that a kustomization beside or above them does not list:
    # kustomize (and so Flux, Argo CD) never applies them.
    unlisted: frozenset[str] = frozenset()

    def reaches(self, ref: SourceRef, real: Callable[[str], str]) -> bool:
        """Whether `ref` is below what this entry point reaches; `real` is the real path of a
        file as `reached` holds them (`FileTree.real_path`)."""
        label = _deployer_label(ref.origin)
        if label is not None and label not in self.deployers:
            return False  # a copy another entry point's Application or Kustomization made
        if not ref.origin.startswith("kustomize ") and real(ref.file) in self.unlisted:
            return False
        return _reached(self.reached, ref, real)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _under(path: str, reached: frozenset[str]) -> bool:
    probe = path
    while True:
        if probe in reached:
            return True
        parent = os.path.dirname(probe)
        if parent == probe:
            return False
        probe = parent


_LABELS = ("Application ", "Flux Kustomization ")


def _deployer_label(origin: str) -> str | None:
    """The deployer that placed a copy (`… (Application argocd/web)`), if one did."""
    last = origin.rsplit(" (", 1)[-1].removesuffix(")") if origin.endswith(")") else origin
    name = last.split("/", 1)[-1].split("@", 1)[0]  # `@file` tells same-named ones apart
    return last if last.startswith(_LABELS) and " " not in name else None


def _reached(reached: frozenset[str], ref: SourceRef, real: Callable[[str], str]) -> bool:
    origin = ref.origin
    if origin.startswith("kustomize "):
        # An overlay's copy of a base belongs to the overlay, not to every user of the base.
        overlay = origin[len("kustomize ") :].split(" (", 1)[0]
        return _under(real(overlay), reached)
    return _under(real(ref.file), reached)


def _flux_dir(files: FileTree, doc: Document) -> str | None:
    path = _map(doc.body.get("spec")).get("path")
    if not isinstance(path, str) or "${" in path:
        return None
    rel = path.strip().removeprefix("./").strip("/")
    anchor = Path(files.real_path(doc.source.file)).parent
    for candidate in (anchor, *anchor.parents):
        target = candidate / rel if rel else candidate
        if files.is_dir(target):
            return str(target)
    return None


class _Kustomizations:
    """What the `kustomization.yaml`s of a tree name, from the documents already read (a
    file outside the inputs is read once), cached for one search."""

    def __init__(self, documents: Sequence[Document], files: FileTree) -> None:
        self._files = files
        self._bodies: dict[str, Mapping[str, Any]] = {}
        for doc in documents:
            if (
                doc.kind == "Kustomization"
                and doc.api_version.startswith("kustomize.config")
                and not doc.source.origin
            ):
                self._bodies[os.path.dirname(files.real_path(doc.source.file))] = doc.body
        self._refs: dict[str, list[str]] = {}
        # Files a walk applied (listed, or in a directory without a kustomization), and files
        # it passed that a kustomization there does not list; see `unlisted`.
        self._listed: set[str] = set()
        self._skipped: set[str] = set()

    @property
    def unlisted(self) -> frozenset[str]:
        """The files below applied directories that no kustomization lists and no walk applied
        otherwise (another kustomization may list one by a `../` path)."""
        return frozenset(self._skipped - self._listed)

    def closure(self, start: Iterable[str]) -> set[str]:
        """`start` plus what the `kustomization.yaml`s found in them name, transitively."""
        out: set[str] = set()
        pending = list(start)
        while pending:
            current = pending.pop()
            if current in out:
                continue
            out.add(current)
            if not self._files.is_dir(Path(current)):
                self._listed.add(current)
                continue
            self._walk(current, pending)
        return out

    def _walk(self, top: str, pending: list[str]) -> None:
        """Flux builds a directory without a kustomization.yaml from every file below it, and
        from the kustomizations of its subdirectories, each of which applies only what it
        names (queued on `pending`); the rest there is skipped."""
        for directory, subdirs, files in self._files.walk(Path(top)):
            subdirs[:] = [d for d in subdirs if not d.startswith(".")]
            name = next((n for n in files if n in KUSTOMIZATION_FILES), None)
            if name is None:
                self._listed.update(os.path.join(directory, n) for n in files)
                continue
            refs = self.refs(directory, name)
            pending.extend(refs)
            self._listed.add(os.path.join(directory, name))
            named = set(refs)
            self._skipped.update(
                os.path.join(directory, n) for n in files if os.path.join(directory, n) not in named
            )
            for sub in subdirs:
                below = os.path.join(directory, sub)
                if below not in named:
                    for inner, dirs, names in self._files.walk(Path(below)):
                        dirs[:] = [d for d in dirs if not d.startswith(".")]
                        self._skipped.update(os.path.join(inner, n) for n in names)
            subdirs[:] = []  # what the kustomization names is followed through `pending`

    def refs(self, directory: str, name: str) -> list[str]:
        found = self._refs.get(directory)
        if found is None:
            body = self._bodies.get(directory)
            if body is None:
                body = _read_yaml(self._files, os.path.join(directory, name))
            found = self._refs[directory] = _local_refs(self._files, directory, body)
        return found


def _read_yaml(files: FileTree, file: str) -> Mapping[str, Any]:
    import yaml  # noqa: PLC0415 - only for kustomizations outside the inputs

    text = files.read_text(Path(file))
    if text is None:
        return {}
    try:
        return _map(yaml.safe_load(text))
    except yaml.YAMLError:
        return {}


def _local_refs(files: FileTree, directory: str, body: Mapping[str, Any]) -> list[str]:
    out = []
    for key in ("resources", "bases", "components"):
        for entry in body.get(key) or []:
            if isinstance(entry, str) and "://" not in entry and not entry.startswith("git@"):
                target = files.real_path(os.path.join(directory, entry))
                if files.exists(Path(target)):
                    out.append(target)
    # A generator's input files are applied too, as the data of the object it makes (a
    # values file Flux substitutes inside its ConfigMap).
    for key in ("configMapGenerator", "secretGenerator"):
        for gen in _list(body.get(key)):
            gen_map = _map(gen)
            entries = [e for f in ("files", "envs") for e in _list(gen_map.get(f))]
            for entry in [*entries, gen_map.get("env")]:
                if isinstance(entry, str):
                    rel = entry.split("=", 1)[-1].strip()
                    target = files.real_path(os.path.join(directory, rel))
                    if files.is_file(Path(target)):
                        out.append(target)
    return out


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class _Deployer:
    doc: Document
    file: str
    targets: tuple[str, ...]
    flux: bool
    label: str
    generated: bool = False
    path: str = ""  # a Flux Kustomization's `spec.path` directory


def _argo_label(doc: Document) -> str:
    return f"Application {doc.namespace or 'argocd'}/{doc.name}"


def _deployers(
    documents: Sequence[Document], roots: Sequence[Path], files: FileTree
) -> tuple[list[_Deployer], frozenset[str]]:
    """The deployers, and the files below what they apply that kustomizations leave out."""
    real = files.real_path
    namespaces = Namespaces(documents)
    flux_names = flux_labels(documents, namespaces)
    kustomizations = _Kustomizations(documents, files)
    generated: dict[tuple[str, int], list[str]] = {}
    out = []
    for doc in documents:
        if (
            doc.kind == "Application"
            and doc.group == ARGO_GROUP
            and doc.source.origin.startswith("ApplicationSet ")
        ):
            app_targets = _argo_targets(doc, roots, files)
            generated.setdefault((doc.source.file, doc.source.line), []).extend(app_targets)
            closure = kustomizations.closure(real(t) for t in app_targets)
            file = real(doc.source.file)
            out.append(_Deployer(doc, file, tuple(sorted(closure)), False, _argo_label(doc), True))
    for doc in documents:
        if doc.source.origin:
            continue
        targets: list[str] = []
        flux = False
        label = _argo_label(doc)
        if doc.kind == "Kustomization" and doc.group == FLUX_GROUP:
            label = flux_names[(doc.source.file, doc.source.line)]
            found = _flux_dir(files, doc)
            targets = [found] if found else []
            components = _map(doc.body.get("spec")).get("components") or []
            if found:
                targets += [
                    real(os.path.join(found, c))
                    for c in components
                    if isinstance(c, str) and files.is_dir(Path(found, c))
                ]
            flux = True
        elif doc.kind == "Application" and doc.group == ARGO_GROUP:
            targets = _argo_targets(doc, roots, files)
        elif doc.kind == "ApplicationSet" and doc.group == ARGO_GROUP:
            targets = generated.get((doc.source.file, doc.source.line), [])
        else:
            continue
        closure = kustomizations.closure(real(t) for t in targets)
        path = real(targets[0]) if flux and targets else ""
        closed = tuple(sorted(closure))
        out.append(_Deployer(doc, real(doc.source.file), closed, flux, label, path=path))
    return out, kustomizations.unlisted


def _argo_targets(doc: Document, roots: Sequence[Path], files: FileTree) -> list[str]:
    """What an Application applies: a directory (recursively, or rendered by Kustomize), or
    only the files directly in a plain directory (Argo CD does not recurse by default)."""
    out: list[str] = []
    for directory, recurse, src in application_dirs(doc, roots, files):
        if any(files.is_file(directory / n) for n in KUSTOMIZATION_FILES):
            out.append(str(directory))
            continue
        directory_spec = _map(src.get("directory"))
        if recurse and not directory_spec.get("include") and not directory_spec.get("exclude"):
            out.append(str(directory))
            continue
        applied = directory_filter(src)
        listed = (
            [Path(top, name) for top, _dirs, names in files.walk(directory) for name in names]
            if recurse
            else [f for f in files.list_dir(directory) if files.is_file(f)]
        )
        out.extend(
            str(f)
            for f in listed
            if f.suffix in {".yaml", ".yml", ".json"} and applied(os.path.relpath(f, directory))
        )
    return out


def _relative(path: str, base: str) -> str:
    rel = os.path.relpath(path, base)
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def find_entry_points(
    documents: Sequence[Document], roots: Sequence[Path], files: FileTree
) -> tuple[EntryPoint, ...]:
    """The entry points of the documents read from `roots` (empty: none found), looking for
    the directories deployers apply in `files`."""
    deployers, unlisted = _deployers(documents, roots, files)
    if not deployers:
        return ()
    first = roots[0] if roots else Path()
    base = files.real_path(str(first if files.is_dir(first) else first.parent))
    root_deployers = [
        d
        for d in deployers
        if not d.generated
        and not _app_level(d)
        and not any(o is not d and _under(d.file, frozenset(o.targets)) for o in deployers)
    ]
    if not any(d.targets for d in root_deployers):
        # Only remote sources (charts, other repositories): nothing here is known to be
        # applied by them, so everything is read as before.
        return ()
    names: dict[str, list[_Deployer]] = {}
    places: dict[str, str] = {}
    for d in root_deployers:
        own = next((t for t in d.targets if _under(d.file, frozenset({t}))), None)
        where = own or os.path.dirname(d.file)
        names.setdefault(_relative(where, base), []).append(d)
        places[_relative(where, base)] = where
    out = []
    for name, group in sorted(names.items()):
        reached, labels = _closure(group, deployers, unlisted)
        roots_at = tuple(str(d.doc.source) for d in group)
        out.append(
            EntryPoint(
                name,
                roots_at,
                frozenset(reached),
                frozenset(labels),
                places[name],
                frozenset(unlisted),
            )
        )
    return tuple(out)


def _app_level(d: _Deployer) -> bool:
    """A Flux Kustomization whose `spec.path` is below its own directory (`app/ks.yaml` with
    `path: ./app/manifests`; its components may be elsewhere): the Kustomization of one app,
    applied by whatever applies its directory, never an entry point itself."""
    home = os.path.dirname(d.file)
    return bool(d.path) and d.path != home and _under(d.path, frozenset({home}))


def _closure(
    start: Sequence[_Deployer], deployers: Sequence[_Deployer], unlisted: frozenset[str]
) -> tuple[set[str], set[str]]:
    """The paths and the labels of the deployers reached from `start`, transitively (a
    deployer's own file is reached: an ApplicationSet's file leads to what it generated)."""
    reached: set[str] = set()
    labels: set[str] = set()
    pending = list(start)
    done: set[int] = set()
    while pending:
        d = pending.pop()
        if id(d) in done:
            continue
        done.add(id(d))
        reached.update(d.targets)
        reached.add(d.file)
        labels.add(d.label)
        frozen = frozenset(reached)
        pending.extend(
            o
            for o in deployers
            if id(o) not in done and o.file not in unlisted and _under(o.file, frozen)
        )
    return reached, labels


def _pick(points: tuple[EntryPoint, ...], entry: str, files: FileTree) -> EntryPoint:
    """The entry point `entry` names: its name, its directory or a root's file (as a path
    from the current directory)."""
    wanted = entry.strip().removeprefix("./").rstrip("/")
    real = files.real_path(entry)
    for point in points:
        if point.name == wanted or point.path in (real, os.path.splitext(real)[0]):
            return point
    for point in points:
        if any(files.real_path(r.rsplit(":", 1)[0]) == real for r in point.roots):
            return point
    known = ", ".join(p.name for p in points) or "none found"
    raise InputError(f"no such entry point; expected one of: {known}", where=entry)


def select(
    workloads: Sequence[Workload],
    findings: Sequence[Finding],
    points: tuple[EntryPoint, ...],
    entry: str | None,
    tree: FileTree,
) -> tuple[list[Workload], list[Finding]]:
    """The workloads as each entry point deploys them (or only `entry`), the findings of the
    files reached, and one `not-deployed` finding for the files no entry point reaches; `tree`
    is the file tree `find_entry_points` searched (its real paths are what the points reach)."""
    if not points:
        if entry is not None:
            raise InputError("no entry point found in the input", where=entry)
        return list(workloads), list(findings)
    real = tree.real_path
    chosen = (_pick(points, entry, tree),) if entry is not None else points
    out: list[Workload] = []
    unreached: set[str] = set()
    for workload in workloads:
        hit = False
        for point in chosen:
            if point.reaches(workload.source, real):
                out.append(dataclasses.replace(workload, entry_point=point.name))
                hit = True
        if not hit and not any(p.reaches(workload.source, real) for p in points):
            unreached.add(workload.source.file)
    out = _once_per_entry(out)
    kept: list[Finding] = []
    for finding in findings:
        ref = finding.source
        if ref is not None and ref.file and not any(p.reaches(ref, real) for p in points):
            unreached.add(ref.file)
            continue
        if ref is not None and ref.file and not any(p.reaches(ref, real) for p in chosen):
            continue
        kept.append(finding)
    if unreached:
        files = sorted(unreached)
        kept.append(
            Finding(
                id="not-deployed",
                severity="info",
                message=f"{len(files)} file(s) reached from no entry point "
                f"({', '.join(p.name for p in points)}) were left out: {', '.join(files)}",
                hint="scaffolding, examples and templates are expected here; otherwise "
                "reference the files from a Flux Kustomization or an Argo CD Application",
                rule="inputs",
                details={"files": files},
            )
        )
    return out, kept


def _once_per_entry(workloads: list[Workload]) -> list[Workload]:
    seen: set[tuple[str, str]] = set()
    out = []
    for workload in workloads:
        key = (workload.entry_point, workload.key)
        if key not in seen:
            seen.add(key)
            out.append(workload)
    return out
