"""The FailedScheduling message (`FitError.Error()`), byte for byte.

    0/<all nodes> nodes are available: <histogram>.[ <PostFilter message>]

The histogram counts each reason once per node that gave it ("<count> <reason>"), sorted as
strings (so "11 Insufficient cpu" precedes "3 node(s) had untolerated taint …"); nodes without
an explicit status (outside a PreFilter node set) count with the absent status's reasons. When
PreFilter itself rejected the pod, its message replaces the histogram.
"""

from __future__ import annotations

from collections.abc import Mapping

from archfit.scheduling.framework.status import Status

__all__ = ["fit_error_message", "histogram_message"]


def fit_error_message(
    total: int,
    statuses: Mapping[str, Status],
    *,
    absent: Status | None = None,
    pre_filter_message: str = "",
    post_filter_message: str = "",
) -> str:
    if pre_filter_message:
        text = f"0/{total} nodes are available: {pre_filter_message}."
    else:
        histogram: dict[str, int] = {}
        for status in statuses.values():
            for reason in status.reasons:
                histogram[reason] = histogram.get(reason, 0) + 1
        missing = total - len(statuses)
        if missing > 0 and absent is not None:
            for reason in absent.reasons:
                histogram[reason] = histogram.get(reason, 0) + missing
        text = histogram_message(total, histogram)
    if post_filter_message:
        text += f" {post_filter_message}"
    return text


def histogram_message(total: int, histogram: Mapping[str, int]) -> str:
    """The message from the number of rejecting nodes per reason (for callers that count
    groups of alike nodes at once)."""
    entries = sorted(f"{count} {reason}" for reason, count in histogram.items())
    body = f" {', '.join(entries)}." if entries else ""
    return f"0/{total} nodes are available:{body}"
