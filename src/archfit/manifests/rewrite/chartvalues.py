"""Where the placement of a rendered local chart's workloads goes in its release's values.

archfit rendered the chart, once more with a probe in `affinity` and `nodeSelector`, so it knows
which of these values reach each workload's pod spec: the placement is written only into a value
that reaches every workload of the release. `affinity` when it does; else `nodeSelector` when the
placement is a set of exact labels (`kubernetes.io/arch: amd64`); else nothing, and a note says
why (a value the chart never reads fixes nothing). One top-level value reaches every pod of the
release, so it is written only when every workload of the release needs that same placement.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

from archfit.manifests.helm.release import CHART_PLACEMENT_VALUES, RELEASE
from archfit.manifests.rewrite.copies import WorkloadFix
from archfit.manifests.rewrite.variables import place_keeping_variables
from archfit.model.placement import Placement

__all__ = ["rendered_chart_edits"]

Edit = tuple[str, tuple[str | int, ...]]


def _as_labels(placement: Placement) -> dict[str, str] | None:
    """The placement as exact node labels (None: it needs more than a nodeSelector says)."""
    if placement.preferred or placement.renamed_keys or not placement.required:
        return None
    labels: dict[str, str] = {}
    for req in placement.required:
        if (
            req.operator != "In"
            or len(req.values) != 1
            or labels.get(req.key, req.values[0]) != (req.values[0])
        ):
            return None
        labels[req.key] = req.values[0]
    return labels


def rendered_chart_edits(
    root: MutableMapping[str, Any],
    root_path: tuple[str | int, ...],
    group: Sequence[WorkloadFix],
    active: Sequence[WorkloadFix],
    notes: list[str],
) -> list[Edit]:
    """Write the placement of `active` (the release's workloads that need one; `group` is all of
    them) into `root`, the release's values; returns the edits made, appends to `notes`."""
    first = active[0].workload
    release = first.annotations.get(RELEASE, first.display)
    # The values every workload of the release reads (what a top-level value would reach).
    declared = set.intersection(
        *(set(f.workload.annotations.get(CHART_PLACEMENT_VALUES, "").split(",")) for f in group)
    )
    placement = active[0].placement
    if not all(f.active and f.placement == placement for f in group):
        notes.append(
            f"{release}: its workloads need different placements and one chart value reaches "
            f"them all; not edited (add each placement where the chart allows it)"
        )
        return []
    if "affinity" in declared:
        if place_keeping_variables(root, placement, release, notes):
            return [(f.workload.display, (*root_path, "affinity")) for f in active]
        return []
    labels = _as_labels(placement)
    if "nodeSelector" in declared and labels is not None:
        selector = root.get("nodeSelector")
        if not isinstance(selector, MutableMapping):
            from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415

            root["nodeSelector"] = selector = CommentedMap()
        if any(k in selector and selector[k] != v for k, v in labels.items()):
            notes.append(f"{release}: nodeSelector already asks for other labels; not edited")
            return []
        if all(selector.get(k) == v for k, v in labels.items()):
            return []
        selector.update(labels)
        return [(f.workload.display, (*root_path, "nodeSelector")) for f in active]
    chart = first.annotations.get("archfit.dev/helm-chart", "")
    notes.append(
        f"{release}: chart {chart!r} passes no `affinity` value"
        + ("" if "nodeSelector" in declared else " nor `nodeSelector`")
        + " to every pod of the release; not edited (a value the chart does not read would "
        "fix nothing): add the placement to the chart's templates"
    )
    return []
