"""Where each workload's placement is written, and the new text of every file touched.

Targets, in the place a person would edit:

- a raw manifest: the pod template of its document (Knative: `spec.template.spec`);
- `app-template` values: `defaultPodOptions.affinity` when every controller of the release gets
  the same placement and none sets its own `pod.affinity`, else each controller's `pod.affinity`
  (seeded with the default affinity it would otherwise inherit); the old layout: top-level
  `affinity`;
- another chart: its top-level `affinity` value (a note says when the chart is not known to honour
  it); Argo CD values given as a YAML string are not rewritten (a note says so);
- a document of a Kustomize base outside the paths given (not the user's to edit), or one that
  several overlays deploy with different placements (an edit would reach them all): a strategic
  merge patch beside each overlay (or in `patches_dir`), listed under the overlay's `patches:`;
- a document of a generated file (Flux's `gotk-components.yaml`, "DO NOT EDIT"): a patch in the
  kustomization beside it that lists it, else nothing and a note.
- an item of a `kind: List`: that item; a node other workloads share through YAML anchors:
  nothing (a note says why, see `targets`).

Pure: file contents come from `read`; the result is the new text per file (unchanged files left
out) and notes. The usecase writes the files.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from archfit.errors import InputError
from archfit.manifests.documents import Document, read_text
from archfit.manifests.helm.release import (
    CHART_PLACEMENT_VALUES,
    CHART_READS_AFFINITY,
    DEFAULT_AFFINITY,
    DOCUMENT,
    FLUX_PATCHED,
    LAYOUT,
    OVERLAY,
    OWN_AFFINITY,
    POD_OPTIONS,
    VALUES_FILE,
    VALUES_ROOT,
)
from archfit.manifests.rewrite.chartvalues import rendered_chart_edits
from archfit.manifests.rewrite.copies import (
    WorkloadFix,
    differing_copies,
    generated_marker,
    overlay_parts,
)
from archfit.manifests.rewrite.targets import list_item, shared_note
from archfit.manifests.rewrite.variables import place_keeping_variables
from archfit.manifests.rewrite.yamlrt import YamlFile
from archfit.model.k8s import POD_SPEC_PATHS
from archfit.model.workload import Workload

__all__ = ["FixPlan", "WorkloadFix", "check_yaml", "plan_fixes"]

# Charts whose top-level `affinity` value reaches every pod they create (checked against their
# values.yaml). Others (cert-manager: per component; reloader: under `reloader.deployment`) get
# the value written with a note to check it.
KNOWN_AFFINITY_CHARTS = frozenset(
    {"metrics-server", "external-dns", "coredns", "descheduler", "spegel"}
)
KUSTOMIZE_ORIGIN = "kustomize "


@dataclass
class FixPlan:
    """New text per file path (as given), and one line per decision worth telling."""

    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


def _parse_path(text: str) -> list[str | int]:
    out: list[str | int] = []
    for part in text.replace("[", ".[").split("."):
        if not part:
            continue
        out.append(int(part[1:-1]) if part.startswith("[") else part)
    return out


def _walk(node: Any, path: Sequence[str | int], *, create: bool) -> Any:
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return None
            node = node[part]
            continue
        if not isinstance(node, MutableMapping):
            return None
        child = node.get(part)
        if child is None and create:
            from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415

            node[part] = CommentedMap()
            child = node[part]
        node = child
    return node


class _Files:
    def __init__(self, read: Callable[[str], str | None], resolve: Callable[[str], str]) -> None:
        self.read = read
        self.resolve = resolve
        self.open: dict[str, YamlFile] = {}
        self.created: dict[str, str] = {}

    def get(self, file: str) -> YamlFile | None:
        if file not in self.open:
            text = self.read(file)
            if text is None:
                return None
            self.open[file] = YamlFile.parse(text, where=file, json=file.endswith(".json"))
        return self.open[file]


def _owned(files: _Files, file: str, roots: Sequence[Path]) -> bool:
    target = files.resolve(file)
    for root in roots:
        base = files.resolve(str(root))
        if target == base or target.startswith(base.rstrip(os.sep) + os.sep):
            return True
    return False


@lru_cache(maxsize=64)
def _documents(text: str, file: str) -> tuple[Document, ...]:
    return tuple(read_text(text, file).documents)


def _doc_index(text: str, file: str, workload: Workload) -> int | None:
    """The YAML document of `file` that `workload` was read from (by line, then by name)."""
    documents = _documents(text, file)
    for doc in documents:
        if doc.source.line == workload.source.line and doc.kind in {workload.kind, "Service"}:
            return doc.index
    for doc in documents:
        if doc.kind == workload.kind and doc.name == workload.name:
            return doc.index
    return None


def _flux_patched(fix: WorkloadFix, plan: FixPlan) -> bool:
    """Whether a Flux Kustomization's patch sets what `fix` would edit (the patch would
    override the edit in the cluster): then it is refused with a note."""
    mark = fix.workload.annotations.get(FLUX_PATCHED, "")
    label, _, fields = mark.rpartition(": ")
    # `fix` adds node affinity, and touches `nodeSelector` only to rename a deprecated key.
    edited = {"affinity", "values", *(["nodeSelector"] if fix.placement.renamed_keys else [])}
    hit = sorted(edited & set(fields.split(",")))
    if not fix.active or not hit:
        return False
    what = "values" if hit == ["values"] else "/".join(hit)
    plan.notes.append(
        f"{fix.workload.display}: not edited: {label} patches its {what} (spec.patches), "
        f"which would override an edit of {fix.workload.source.file}; change that patch instead"
    )
    return True


def plan_fixes(
    fixes: Iterable[WorkloadFix],
    *,
    roots: Sequence[Path],
    read: Callable[[str], str | None],
    patches_dir: Path | None = None,
    resolve: Callable[[str], str] = os.path.abspath,
) -> FixPlan:
    """Plan the edits for `fixes`; see the module docstring. Raises `InputError` only when a file
    to edit is not valid YAML. `read` gives a file's text (None: absent); `resolve` makes a path
    absolute to decide whether a file is below `roots` (the CLI passes `os.path.realpath`, which
    follows symbolic links on disk; the default is lexical)."""
    plan = FixPlan()
    files = _Files(read, resolve)
    fixes = list(fixes)
    fixes = [f for f in fixes if not _flux_patched(f, plan)]
    per_overlay = differing_copies(fixes)
    releases: dict[tuple[str, int, str], list[WorkloadFix]] = {}
    for fix in fixes:
        workload = fix.workload
        layout = workload.annotations.get(LAYOUT)
        if layout is not None:
            # One group per values block: the subcharts of a chart read theirs under their key.
            index = int(workload.annotations.get(DOCUMENT, "0"))
            key = (workload.source.file, index, workload.annotations.get(VALUES_ROOT, ""))
            releases.setdefault(key, []).append(fix)
            continue
        if not fix.active:
            continue
        if workload.kind == "Function":
            plan.notes.append(
                f"{workload.display}: OpenFaaS constraints take exact labels only; "
                "add the placement by hand"
            )
            continue
        origin = workload.source.origin
        if origin.startswith(KUSTOMIZE_ORIGIN) and (
            not _owned(files, workload.source.file, roots)
            or (workload.source.file, workload.source.line) in per_overlay
        ):
            # A base outside the paths given, or one whose overlays need different placements
            # (an edit of the base would reach every overlay): a patch in this overlay.
            overlay = origin[len(KUSTOMIZE_ORIGIN) :].split(" (", 1)[0]
            shared = _owned(files, workload.source.file, roots)
            why = (
                f"{os.path.relpath(workload.source.file, overlay)}, which other overlays "
                "deploy with another placement"
                if shared
                else "a base outside this repository path"
            )
            _patch(fix, overlay, files, plan, patches_dir, why=why)
            continue
        generated = generated_marker(files.read(workload.source.file) or "")
        if generated:
            _generated(fix, generated, files, plan, patches_dir)
            continue
        if not _owned(files, workload.source.file, roots):
            plan.notes.append(
                f"{workload.display}: {workload.source.file} is outside the paths given and no "
                "overlay includes it; not edited"
            )
            continue
        _raw(fix, files, plan)
    for (file, index, _), group in releases.items():
        parts = overlay_parts(group)
        for overlay, part in parts.items():
            _values(
                file,
                index,
                part,
                files=files,
                plan=plan,
                roots=roots,
                patches_dir=patches_dir,
                patch_only=bool(overlay) and len(parts) > 1,
            )
    # New patch files first: a kustomization must never list a patch that is not written yet.
    for file, text in files.created.items():
        if read(file) != text:
            plan.files[file] = text
    for file, yfile in files.open.items():
        new = yfile.text()
        for reason in yfile.refused:
            plan.notes.append(f"{file}: {reason}; not edited, add the placement by hand")
        if yfile.refused:
            plan.written = [w for w in plan.written if f" → {file} (" not in w]
        for number in yfile.rewritten:
            plan.notes.append(
                f"{file}: document {number} was written out whole, its layout could not be kept "
                "line for line; check the diff"
            )
        if new != yfile.original:
            plan.files[file] = new
    return plan


def _generated(
    fix: WorkloadFix, marker: str, files: _Files, plan: FixPlan, patches_dir: Path | None
) -> None:
    """A document of a generated file: a patch in the kustomization beside it that lists it
    (Flux's documented way to customise its controllers), else a note."""
    workload = fix.workload
    directory = Path(workload.source.file).parent
    name = Path(workload.source.file).name
    for kname in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        text = files.read(str(directory / kname))
        if text is None:
            continue
        listed = any(
            isinstance(entry, str) and os.path.normpath(entry) == name
            for doc in _documents(text, str(directory / kname))
            for entry in (doc.body.get("resources") or [])
        )
        if listed:
            why = f"{name}, which is generated ({marker})"
            _patch(fix, str(directory), files, plan, patches_dir, why=why)
            return
    plan.notes.append(
        f"{workload.display}: {workload.source.file} is generated ({marker!r}); not edited, "
        "add the placement where it is generated"
    )


def _refuse_shared(
    display: str, doc: Any, path: Sequence[str | int], text: str, plan: FixPlan
) -> bool:
    """True (with a note) when an edit at `path` would also change what other workloads share."""
    note = shared_note(display, doc, path, text)
    if note is not None:
        plan.notes.append(note)
    return note is not None


def _raw(fix: WorkloadFix, files: _Files, plan: FixPlan) -> None:
    workload = fix.workload
    yfile = files.get(workload.source.file)
    if yfile is None:
        plan.notes.append(f"{workload.display}: {workload.source.file} not readable; skipped")
        return
    index = _doc_index(yfile.original, workload.source.file, workload)
    if index is None:
        plan.notes.append(f"{workload.display}: document not found at {workload.source}; skipped")
        return
    kind = "Deployment" if workload.kind == "KnativeService" else workload.kind
    item = list_item(yfile.document(index), workload.kind, workload.name)
    if item is None:
        plan.notes.append(f"{workload.display}: not found in the List at {workload.source}")
        return
    path = (*item, *POD_SPEC_PATHS.get(kind, ("spec",)))
    if _refuse_shared(workload.display, yfile.document(index), path, yfile.original, plan):
        return
    spec = _walk(yfile.document(index), path, create=True)
    if isinstance(spec, MutableMapping) and place_keeping_variables(
        spec, fix.placement, workload.display, plan.notes
    ):
        yfile.mark_changed(index)
        plan.written.append(f"{workload.display} → {workload.source.file} (pod template)")
        if workload.kind == "KnativeService":
            plan.notes.append(
                f"{workload.display}: Knative applies affinity only with the "
                "kubernetes.podspec-affinity feature enabled"
            )


def _values(
    file: str,
    index: int,
    group: list[WorkloadFix],
    *,
    files: _Files,
    plan: FixPlan,
    roots: Sequence[Path],
    patches_dir: Path | None,
    patch_only: bool = False,
) -> None:
    """Write the placements of one release's workloads into its values (or an overlay patch;
    only a patch with `patch_only`)."""
    active = [f for f in group if f.active]
    # Values kept in a file of their own (an Argo CD `$values/…` file): edited there.
    values_file = active[0].workload.annotations.get(VALUES_FILE) if active else None
    if values_file:
        file, index = values_file, 0
    text = files.read(file) if active else None
    if text is None:
        return
    first = active[0].workload
    owned = _owned(files, file, roots) and not patch_only
    overlay = first.annotations.get(OVERLAY)
    yfile: YamlFile | None = None
    if owned:
        yfile = files.get(file)
        assert yfile is not None
        doc = yfile.document(index)
    elif overlay:
        base = YamlFile.parse(text, where=file)
        doc = copy.deepcopy(base.document(index))
    else:
        plan.notes.append(f"{first.display}: {file} is outside the paths given; not edited")
        return
    edits = _edit_values(doc, group, active, plan, text)
    if not edits:
        return
    if owned:
        assert yfile is not None
        yfile.mark_changed(index)
        for display, path in edits:
            plan.written.append(f"{display} → {file} ({_dotted(path)})")
        return
    from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415

    patch = _patch_head(doc, str(doc.get("kind")))
    for _, path in edits:
        node: Any = patch
        for key in path[:-1]:
            node = node.setdefault(key, CommentedMap())
        node[path[-1]] = _walk(doc, path, create=False)
    meta = doc.get("metadata") if isinstance(doc, Mapping) else None
    name = str(meta.get("name")) if isinstance(meta, Mapping) else first.name
    _write_patch(
        Path(overlay or "."),
        f"archfit-placement-{str(doc.get('kind')).lower()}-{name}.yaml",
        patch,
        files=files,
        plan=plan,
        patches_dir=patches_dir,
        displays=[d for d, _ in edits],
        why=(
            f"{os.path.relpath(file, overlay or '.')}, which other overlays deploy with another "
            "placement"
            if patch_only
            else "a base outside this repository path"
        ),
        style=base,
    )


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)


def _edit_values(
    doc: Any, group: list[WorkloadFix], active: list[WorkloadFix], plan: FixPlan, text: str
) -> list[tuple[str, tuple[str | int, ...]]]:
    """Merge the placements into the release's values in `doc`; returns (workload, document
    path of each affinity written). `text` is the file's, to see which anchors it aliases."""
    first = active[0].workload
    root = "" if first.annotations.get(VALUES_FILE) else first.annotations.get(VALUES_ROOT, "")
    root_path = tuple(_parse_path(root))
    if _refuse_shared(first.display, doc, root_path, text, plan):
        return []
    existing = _walk(doc, root_path, create=False)
    if isinstance(existing, str):
        plan.notes.append(
            f"{first.display}: values are a YAML string at {first.annotations[VALUES_ROOT]}; "
            "move them to valuesObject or add the affinity by hand"
        )
        return []
    root = _walk(doc, root_path, create=True)
    if not isinstance(root, MutableMapping):
        return []
    layout = first.annotations.get(LAYOUT, "")
    edits: list[tuple[str, tuple[str | int, ...]]] = []
    if layout == "app-template-current":
        defaults = root.get("defaultPodOptions")
        own = [
            _walk(root, _parse_path(f.workload.annotations.get(POD_OPTIONS, "")), create=False)
            for f in group
        ]
        if _affinity_elsewhere(group, defaults, own):
            plan.notes.append(
                f"{first.display}: its affinity is set in values read from elsewhere (valuesFrom "
                "or a values file), which an affinity written here would replace; not edited, "
                "add the placement there"
            )
            return []
        shared = (
            len(active) == len(group)
            and all(f.placement == group[0].placement for f in group)
            and not any(isinstance(o, Mapping) and o.get("affinity") for o in own)
            and not any(f.workload.annotations.get(OWN_AFFINITY) == "true" for f in group)
        )
        if shared:
            if _refuse_shared(first.display, root, ["defaultPodOptions"], text, plan):
                return []
            if not isinstance(defaults, MutableMapping):
                defaults = _walk(root, ["defaultPodOptions"], create=True)
            if place_keeping_variables(defaults, group[0].placement, first.display, plan.notes):
                path = (*root_path, "defaultPodOptions", "affinity")
                edits.extend((f.workload.display, path) for f in active)
            return edits
        for fix in active:
            pod_path = _parse_path(fix.workload.annotations.get(POD_OPTIONS, ""))
            if _refuse_shared(fix.workload.display, root, pod_path, text, plan):
                continue
            pod = _walk(root, pod_path, create=True)
            if not isinstance(pod, MutableMapping):
                continue
            strategy = str(root.get("defaultPodOptionsStrategy") or "overwrite")
            if (
                "affinity" not in pod
                and isinstance(defaults, Mapping)
                and defaults.get("affinity")
                and strategy == "overwrite"
            ):
                # A controller's own affinity replaces the default one: start from it.
                pod["affinity"] = copy.deepcopy(defaults["affinity"])
            if place_keeping_variables(pod, fix.placement, fix.workload.display, plan.notes):
                edits.append((fix.workload.display, (*root_path, *pod_path, "affinity")))
        return edits
    chart = first.annotations.get("archfit.dev/helm-chart", "")
    reads = first.annotations.get(CHART_READS_AFFINITY)
    probed = CHART_PLACEMENT_VALUES in first.annotations
    selector_reaches_all = all(
        "nodeSelector" in f.workload.annotations.get(CHART_PLACEMENT_VALUES, "").split(",")
        for f in group
    )
    if layout == "chart" and probed and (reads != "false" or selector_reaches_all):
        return rendered_chart_edits(root, root_path, group, active, plan.notes)
    if layout == "chart" and reads == "false":
        # A local chart whose templates never mention affinity: a value would change nothing,
        # and the templates are the chart's source, not a place archfit edits.
        plan.notes.append(
            f"{first.display}: not edited: no template of chart {chart!r} mentions affinity, so "
            "an `affinity` value would not reach its pods; add the placement to the pod spec "
            "in the chart's templates by hand, or have the chart read `.Values.affinity`"
        )
        return []
    # A pod spec the values embed (`template.spec`) holds every image: its affinity is the one.
    pod_path = _parse_path(first.annotations.get(POD_OPTIONS, "")) if layout == "chart" else []
    target = _walk(root, pod_path, create=True) if pod_path else root
    if not isinstance(target, MutableMapping):
        return edits
    if place_keeping_variables(target, active[0].placement, first.display, plan.notes):
        edits.append((first.display, (*root_path, *pod_path, "affinity")))
        if (
            layout == "chart"
            and not pod_path
            and chart not in KNOWN_AFFINITY_CHARTS
            and reads != "true"
        ):
            plan.notes.append(
                f"{first.display}: wrote the top-level `affinity` value; chart {chart!r} is not "
                "known to archfit, check that it passes `affinity` to every pod it creates"
            )
    return edits


def _affinity_elsewhere(group: list[WorkloadFix], defaults: Any, own: list[Any]) -> bool:
    """Whether the assembled values set an affinity (default or a controller's) that the
    values being edited do not: lists replace lists when Helm values merge, so an affinity
    written here would drop its terms instead of adding to them."""
    written_default = isinstance(defaults, Mapping) and bool(defaults.get("affinity"))
    if not written_default and any(
        f.workload.annotations.get(DEFAULT_AFFINITY) == "true" for f in group
    ):
        return True
    return any(
        f.workload.annotations.get(OWN_AFFINITY) == "true"
        and not (isinstance(o, Mapping) and o.get("affinity"))
        for f, o in zip(group, own, strict=True)
    )


def _patch(
    fix: WorkloadFix,
    overlay: str,
    files: _Files,
    plan: FixPlan,
    patches_dir: Path | None,
    *,
    why: str = "a base outside this repository path",
) -> None:
    """A strategic merge patch in `overlay` for a raw base document outside the paths given."""
    workload = fix.workload
    text = files.read(workload.source.file)
    if text is None:
        plan.notes.append(f"{workload.display}: base {workload.source.file} not readable")
        return
    index = _doc_index(text, workload.source.file, workload)
    if index is None:
        return
    base = YamlFile.parse(text, where=workload.source.file)
    doc = copy.deepcopy(base.document(index))
    spec_path = POD_SPEC_PATHS.get(workload.kind, ("spec",))
    spec = _walk(doc, spec_path, create=True)
    if not isinstance(spec, MutableMapping):
        return
    if not place_keeping_variables(spec, fix.placement, workload.display, plan.notes):
        return
    from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415

    patch = _patch_head(doc, workload.kind)
    node = patch
    for key in spec_path:
        node[key] = CommentedMap()
        node = node[key]
    node["affinity"] = spec["affinity"]
    _write_patch(
        Path(overlay),
        f"archfit-placement-{workload.kind.lower()}-{workload.name}.yaml",
        patch,
        files=files,
        plan=plan,
        patches_dir=patches_dir,
        displays=[workload.display],
        why=why,
        style=base,
    )


def _patch_head(doc: Any, kind: str) -> Any:
    from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415

    meta = doc.get("metadata") if isinstance(doc, Mapping) else None
    patch = CommentedMap()
    patch["apiVersion"] = doc.get("apiVersion") if isinstance(doc, Mapping) else None
    patch["kind"] = str(doc.get("kind") or kind) if isinstance(doc, Mapping) else kind
    patch["metadata"] = CommentedMap(name=meta.get("name") if isinstance(meta, Mapping) else "")
    if isinstance(meta, Mapping) and meta.get("namespace"):
        # Kustomize matches a patch by namespace too: without it, a namespaced base is not found.
        patch["metadata"]["namespace"] = meta["namespace"]
    return patch


def _write_patch(
    overlay: Path,
    name: str,
    patch: Any,
    *,
    files: _Files,
    plan: FixPlan,
    patches_dir: Path | None,
    displays: Sequence[str],
    style: YamlFile,
    why: str = "a base outside this repository path",
) -> None:
    """Write `patch` beside the overlay (or in `patches_dir` inside it) and list it under the
    overlay kustomization's `patches:` (once). The patch is indented as `style`, the file of the
    document it patches."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq  # noqa: PLC0415

    directory = _patch_dir(files, overlay, patches_dir, plan)
    patch_file = directory / name
    header = f"# Written by `archfit fix`: node placement for {why}.\n"
    files.created[str(patch_file)] = header + "---\n" + _dump(style, patch)
    kustomization = next(
        (
            overlay / n
            for n in ("kustomization.yaml", "kustomization.yml", "Kustomization")
            if files.read(str(overlay / n)) is not None
        ),
        None,
    )
    kfile = files.get(str(kustomization)) if kustomization is not None else None
    if kfile is None:
        plan.notes.append(f"{displays[0]}: no kustomization in {overlay}; patch not listed")
        return
    rel = os.path.relpath(patch_file, overlay)
    for i in range(len(kfile)):
        kdoc = kfile.document(i)
        if not isinstance(kdoc, MutableMapping):
            continue
        patches = kdoc.get("patches")
        if patches is None:
            kdoc["patches"] = patches = CommentedSeq()
        if not any(isinstance(p, Mapping) and p.get("path") == rel for p in patches):
            patches.append(CommentedMap(path=rel))
            kfile.mark_changed(i)
        break
    for display in displays:
        plan.written.append(f"{display} → {patch_file} (patch listed in {kustomization})")


def _patch_dir(files: _Files, overlay: Path, patches_dir: Path | None, plan: FixPlan) -> Path:
    """Where the overlay's patch goes: `patches_dir` below the overlay (kustomize loads patch
    files only from inside the kustomization's directory), else the overlay itself."""
    if patches_dir is None:
        return overlay
    if not patches_dir.is_absolute():
        return overlay / patches_dir
    if _owned(files, str(patches_dir), [overlay]):
        return patches_dir
    note = (
        f"--patches {patches_dir} is outside the overlay {overlay}; kustomize would refuse to "
        "load a patch from there, so it was written into the overlay"
    )
    if note not in plan.notes:
        plan.notes.append(note)
    return overlay


def _dump(template: YamlFile, data: Any) -> str:
    import io  # noqa: PLC0415

    stream = io.StringIO()
    template._yaml().dump(data, stream)
    return stream.getvalue()


def check_yaml(text: str, where: str) -> None:
    """Raise `InputError` when `text` does not read back as Kubernetes YAML (checked on every
    file before any is written), with the same reader as every other input."""
    if not text.strip():
        raise InputError("empty output", where=where)
    if where.endswith(".json"):
        try:
            json.loads(text.removeprefix("\ufeff"))  # a byte-order mark stays as it was
        except ValueError as err:
            raise InputError(f"the rewritten file is not JSON: {err}", where=where) from None
    problems = read_text(text, where).problems
    if problems:
        raise InputError(f"the rewritten file does not parse: {problems[0].message}", where=where)
