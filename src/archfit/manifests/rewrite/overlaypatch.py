"""The overlay-patch writer of `rewrite.plan`: a strategic merge patch with the placement, written
beside a Kustomize overlay (or in `--patches` inside it) and listed under the overlay
kustomization's `patches:`, for a document `fix` must not edit in place (a base outside the paths
given, one whose overlays need different placements, a generated file)."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from archfit.manifests.rewrite.copies import WorkloadFix
from archfit.manifests.rewrite.planfiles import FixPlan, _doc_index, _Files, _owned, _walk
from archfit.manifests.rewrite.variables import place_keeping_variables
from archfit.manifests.rewrite.yamlrt import YamlFile
from archfit.model.k8s import POD_SPEC_PATHS

# The writers here serve `rewrite.plan` and `rewrite.releasevalues` only.
__all__: list[str] = []


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
