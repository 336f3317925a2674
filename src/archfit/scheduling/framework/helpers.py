"""Helpers several plugins share (upstream `plugins/helper`): score normalisation, taint and
node-affinity matching. Plugins never import each other; what two of them need lives here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from archfit.model.affinity import admits
from archfit.model.pod import PodTemplate
from archfit.model.selectors import Taint, Toleration
from archfit.scheduling.framework.interface import MAX_NODE_SCORE

__all__ = [
    "DO_NOT_SCHEDULE_EFFECTS",
    "default_normalize",
    "required_node_affinity_matches",
    "untolerated_taint",
]

DO_NOT_SCHEDULE_EFFECTS = ("NoSchedule", "NoExecute")


def untolerated_taint(
    taints: Sequence[Taint], tolerations: Sequence[Toleration], effects: Sequence[str]
) -> Taint | None:
    """The first taint with one of `effects` that no toleration tolerates
    (`FindMatchingUntoleratedTaint`), in the node's order."""
    for taint in taints:
        if taint.effect in effects and not any(t.tolerates(taint) for t in tolerations):
            return taint
    return None


def required_node_affinity_matches(
    template: PodTemplate, node_name: str, labels: Mapping[str, str]
) -> bool:
    """`GetRequiredNodeAffinity(pod).Match(node)`: `spec.nodeSelector` AND the required terms
    (`model.affinity.admits`, shared with `archfit check`)."""
    node_affinity = template.node_affinity
    required = node_affinity.required if node_affinity is not None else None
    return admits(node_name, labels, template.node_selector, required)


def default_normalize(scores: list[int], *, reverse: bool) -> None:
    """`helper.DefaultNormalizeScore`: scale to 0..100 by the maximum, optionally reversed."""
    top = max(scores, default=0)
    if top == 0:
        if reverse:
            scores[:] = [MAX_NODE_SCORE] * len(scores)
        return
    for i, score in enumerate(scores):
        value = MAX_NODE_SCORE * score // top
        scores[i] = MAX_NODE_SCORE - value if reverse else value
