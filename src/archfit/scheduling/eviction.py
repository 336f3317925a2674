"""Taint-based eviction (the taint-eviction controller): what a NoExecute taint does to the
pods already on a node.

A pod that does not tolerate every NoExecute taint of the node is deleted at once. A pod that
tolerates them all stays for the smallest `tolerationSeconds` among the tolerations it uses for
them (forever when none sets it). Pods get `not-ready`/`unreachable` tolerations for 300 s from
admission, which is why a failed node's pods are evicted after five minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from archfit.model.selectors import Taint
from archfit.scheduling.framework.pod import PodInfo

__all__ = ["Eviction", "noexecute_evictions"]


@dataclass(frozen=True, slots=True)
class Eviction:
    pod: PodInfo
    after_seconds: int  # 0: at once


def noexecute_evictions(pods: Sequence[PodInfo], taints: Sequence[Taint]) -> list[Eviction]:
    """The pods a node with `taints` evicts, and when; pods that stay are absent."""
    noexecute = [t for t in taints if t.effect == "NoExecute"]
    out: list[Eviction] = []
    if not noexecute:
        return out
    for pod in pods:
        seconds: int | None = None
        evict_now = False
        for taint in noexecute:
            # The first toleration that tolerates the taint is the one used for it.
            used = next((t for t in pod.tolerations if t.tolerates(taint)), None)
            if used is None:
                evict_now = True
                break
            if used.toleration_seconds is not None:
                value = max(0, used.toleration_seconds)
                seconds = value if seconds is None else min(seconds, value)
        if evict_now:
            out.append(Eviction(pod, 0))
        elif seconds is not None:
            out.append(Eviction(pod, seconds))
    return out
