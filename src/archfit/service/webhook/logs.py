"""JSON log lines: one object per line, `fields` from `extra={"fields": {...}}` merged in.

Nothing the webhook logs carries object contents, image pull credentials or request headers;
`fields` is built by the callers from names, uids and outcomes only.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

__all__ = ["JsonFormatter", "configure_logging"]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({k: v for k, v in fields.items() if k not in line})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, separators=(",", ":"))


def configure_logging(level: int = logging.INFO) -> None:
    """Route archfit's and uvicorn's loggers to stderr as JSON (called by the entry point)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in ("archfit", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
