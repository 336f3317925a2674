"""Plugin verdicts: a `Status` with a `Code`, its reasons, and the plugin that gave it.

Codes mirror kube-scheduler's: `UNSCHEDULABLE` marks a node that preemption might fix,
`UNSCHEDULABLE_AND_UNRESOLVABLE` one it cannot; `SKIP` from PreFilter or PreScore turns the
plugin off for the pod. Success is spelled `None` on the hot path (a filter that passes returns
nothing), so only rejections allocate.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = ["Code", "Status"]


class Code(IntEnum):
    SUCCESS = 0
    ERROR = 1
    UNSCHEDULABLE = 2
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3
    WAIT = 4
    SKIP = 5


@dataclass(frozen=True, slots=True)
class Status:
    """A plugin's verdict. `reasons` are the user-visible strings, in the plugin's order."""

    code: Code
    reasons: tuple[str, ...] = ()
    plugin: str = ""

    @classmethod
    def of(cls, code: Code, reasons: tuple[str, ...], plugin: str = "") -> Status:
        """An interned status: rejections repeat for thousands of nodes, so they are shared."""
        key = (code, reasons, plugin)
        status = _INTERNED.get(key)
        if status is None:
            status = _INTERNED[key] = cls(code, reasons, plugin)
        return status

    @classmethod
    def unschedulable(cls, *reasons: str, plugin: str = "") -> Status:
        return cls.of(Code.UNSCHEDULABLE, reasons, plugin)

    @classmethod
    def unresolvable(cls, *reasons: str, plugin: str = "") -> Status:
        return cls.of(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, reasons, plugin)

    @classmethod
    def skip(cls) -> Status:
        return _SKIP

    @property
    def is_success(self) -> bool:
        return self.code == Code.SUCCESS

    @property
    def is_skip(self) -> bool:
        return self.code == Code.SKIP

    @property
    def is_rejected(self) -> bool:
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE)

    @property
    def message(self) -> str:
        return ", ".join(self.reasons)

    def with_plugin(self, plugin: str) -> Status:
        return self if self.plugin == plugin else Status.of(self.code, self.reasons, plugin)


_INTERNED: dict[tuple[Code, tuple[str, ...], str], Status] = {}
_SKIP = Status(Code.SKIP)
