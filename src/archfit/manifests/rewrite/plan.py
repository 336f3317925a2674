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

This module chooses the target; the values of a release are written by `releasevalues`, overlay
patches by `overlaypatch`, on the state kept in `planfiles`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from pathlib import Path

from archfit.errors import InputError
from archfit.manifests.documents import read_text
from archfit.manifests.helm.release import DOCUMENT, FLUX_PATCHED, LAYOUT, VALUES_ROOT
from archfit.manifests.rewrite.copies import (
    WorkloadFix,
    differing_copies,
    generated_marker,
    overlay_parts,
)
from archfit.manifests.rewrite.overlaypatch import _patch
from archfit.manifests.rewrite.planfiles import (
    FixPlan,
    _doc_index,
    _documents,
    _Files,
    _owned,
    _refuse_shared,
    _walk,
)
from archfit.manifests.rewrite.releasevalues import _values
from archfit.manifests.rewrite.targets import list_item
from archfit.manifests.rewrite.variables import place_keeping_variables
from archfit.model.k8s import POD_SPEC_PATHS

__all__ = ["FixPlan", "WorkloadFix", "check_yaml", "plan_fixes"]


KUSTOMIZE_ORIGIN = "kustomize "


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
