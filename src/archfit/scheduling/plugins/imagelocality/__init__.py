"""ImageLocality: prefers nodes that already hold the pod's images. archfit's inventories carry
no image lists (`status.images`), so every node scores 0, as on a cluster whose nodes report
none; the plugin is kept so scores have the upstream shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archfit.scheduling.framework.interface import CycleState, Handle
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import PodInfo

__all__ = ["NAME", "ImageLocality"]

NAME = "ImageLocality"


class ImageLocality:
    name = NAME

    def __init__(self, handle: Handle, args: Any = None) -> None:
        del handle, args

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        return [0] * len(nodes)

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        return 0
