"""Small pure helpers for HTTP answers shared by the client and the authenticator."""

from __future__ import annotations

import email.utils
import time

import httpx2

__all__ = ["content_type", "leading_int", "reason", "retry_after"]


def content_type(headers: httpx2.Headers) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def leading_int(value: str | None) -> int | None:
    if value is None:
        return None
    head = value.split(";", 1)[0].split(",", 1)[0].strip()
    return int(head) if head.isdigit() else None


def retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def reason(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__
