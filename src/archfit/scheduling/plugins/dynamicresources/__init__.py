"""DynamicResources (1.34 profile): archfit does not model resource claims; the plugin exists
for its PostFilter, whose `no new claims to deallocate` opens the PostFilter part of 1.34's
FailedScheduling messages for pods without claims."""

from __future__ import annotations

from typing import Any

from archfit.scheduling.framework.interface import CycleState, Diagnosis, Handle, PostFilterOutcome
from archfit.scheduling.framework.pod import PodInfo
from archfit.scheduling.framework.status import Status

__all__ = ["NAME", "DynamicResources"]

NAME = "DynamicResources"


class DynamicResources:
    name = NAME

    def __init__(self, handle: Handle, args: Any = None) -> None:
        del handle, args

    def post_filter(
        self, state: CycleState, pod: PodInfo, diagnosis: Diagnosis
    ) -> PostFilterOutcome:
        return PostFilterOutcome(Status.unschedulable("no new claims to deallocate"))
