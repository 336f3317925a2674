"""The admission answer's envelope and its warning lines.

The brain decides; this module words the decision the way the API server takes it: the
`AdmissionReview` carrying the request's uid, and warnings that are prefixed, deduplicated and
kept within the options' count and length (the API server truncates or drops longer ones).
"""

from __future__ import annotations

from collections.abc import Sequence

from archfit.model.placement import Placement
from archfit.model.selectors import NodeSelectorRequirement
from archfit.service.webhook.settings import WebhookOptions
from archfit.service.webhook.wire import ADMISSION_API_VERSION, AdmissionResponse, AdmissionReview

__all__ = ["WARNING_PREFIX", "answer", "constraint_text", "warning_line", "warning_lines"]

WARNING_PREFIX = "archfit: "


def answer(uid: str, response: AdmissionResponse) -> AdmissionReview:
    response["uid"] = uid
    return {"apiVersion": ADMISSION_API_VERSION, "kind": "AdmissionReview", "response": response}


def warning_line(text: str, options: WebhookOptions) -> str:
    text = WARNING_PREFIX + text
    limit = options.max_warning_chars
    return text if len(text) <= limit else text[: limit - 1] + "…"


def warning_lines(lines: Sequence[str], options: WebhookOptions) -> list[str]:
    unique = list(dict.fromkeys(warning_line(line, options) for line in lines))
    if len(unique) > options.max_warnings:
        rest = len(unique) - options.max_warnings + 1
        unique = [*unique[: options.max_warnings - 1], f"{WARNING_PREFIX}and {rest} more"]
    return unique


def _requirement_text(req: NodeSelectorRequirement) -> str:
    values = f" [{', '.join(req.values)}]" if req.values else ""
    return f"{req.key} {req.operator}{values}"


def constraint_text(placement: Placement) -> str:
    return " and ".join(_requirement_text(r) for r in placement.required)
