"""The placement written into a Helm release's values, by `rewrite.plan`: `app-template`'s
`defaultPodOptions.affinity` or each controller's `pod.affinity` (its old layout: the top-level
`affinity`), another chart's top-level `affinity` (or the pod spec its values embed), or, for a
rendered local chart, the value its templates were seen to read (`rewrite.chartvalues`). Values a
release takes from a base that overlays place differently get an overlay patch instead."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from archfit.manifests.helm.release import (
    ASSEMBLED_NODE_AFFINITY,
    CHART_PLACEMENT_VALUES,
    CHART_READS_AFFINITY,
    DEFAULT_AFFINITY,
    LAYOUT,
    OVERLAY,
    OWN_AFFINITY,
    POD_OPTIONS,
    VALUES_FILE,
    VALUES_ROOT,
)
from archfit.manifests.rewrite.chartvalues import rendered_chart_edits
from archfit.manifests.rewrite.copies import WorkloadFix
from archfit.manifests.rewrite.overlaypatch import _patch_head, _write_patch
from archfit.manifests.rewrite.planfiles import (
    FixPlan,
    _Files,
    _owned,
    _parse_path,
    _refuse_shared,
    _walk,
)
from archfit.manifests.rewrite.variables import place_keeping_variables
from archfit.manifests.rewrite.yamlrt import YamlFile
from archfit.model.workload import Workload

__all__ = ["KNOWN_AFFINITY_CHARTS"]


# Charts whose top-level `affinity` value reaches every pod they create (checked against their
# values.yaml). Others (cert-manager: per component; reloader: under `reloader.deployment`) get
# the value written with a note to check it.
KNOWN_AFFINITY_CHARTS = frozenset(
    {"metrics-server", "external-dns", "coredns", "descheduler", "spegel"}
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
    # A pod spec the values embed (`template.spec`) holds every image: its affinity is the one.
    pod_path = _parse_path(first.annotations.get(POD_OPTIONS, "")) if layout == "chart" else []
    if layout == "chart" and _node_affinity_elsewhere(first, _walk(root, pod_path, create=False)):
        plan.notes.append(
            f"{first.display}: its node affinity is set in values read from elsewhere (the "
            "chart's defaults, valuesFrom or a values file), which one written here would "
            "replace; not edited, add the placement there"
        )
        return []
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


def _node_affinity_elsewhere(workload: Workload, target: Any) -> bool:
    """Whether the assembled values set `affinity.nodeAffinity` for `workload` and the values
    being edited (`target`, where `fix` would write) do not: Helm merges maps key by key but
    replaces lists, so the terms written here would drop the others rather than add to them."""
    if workload.annotations.get(ASSEMBLED_NODE_AFFINITY) != "true":
        return False
    affinity = target.get("affinity") if isinstance(target, Mapping) else None
    return not (isinstance(affinity, Mapping) and affinity.get("nodeAffinity"))


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
