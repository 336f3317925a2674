"""JSON text written piece by piece, byte for byte what `json.dumps(value, indent=2,
ensure_ascii=False)` returns.

Reports on large clusters repeat big values: every workload with the same node selection has
the same map of rejected nodes, thousands of entries long. `write_json` never holds the whole
text, and encodes a dict or list that the value reaches more than once a single time per depth
(the text of a container depends only on its contents and its depth), so a report that shares
those maps costs the time of its distinct parts plus copying.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any

__all__ = ["write_json"]

_FLUSH = 8192  # pieces buffered before each write


def _float(value: float) -> str:
    if value != value:  # noqa: PLR0124 - NaN is the only float unequal to itself
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == float("-inf"):
        return "-Infinity"
    return float.__repr__(value)


def _key(key: object) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return _float(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def _not_serializable(value: object) -> TypeError:
    return TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _repeated(value: object) -> set[int]:
    """Ids of the containers `value` reaches more than once; raises TypeError, before anything
    is written, for a value json.dumps would refuse."""
    seen: set[int] = set()
    repeated: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, int, float)) or item is None:
            continue
        if not isinstance(item, (list, tuple, dict)):
            raise _not_serializable(item)
        if id(item) in seen:
            repeated.add(id(item))
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            for key in item:
                _key(key)
            stack.extend(item.values())
        else:
            stack.extend(item)
    return repeated


class _Encoder:
    def __init__(self, repeated: set[int], indent: int) -> None:
        self.repeated = repeated
        self.indent = indent
        self.memo: dict[tuple[int, int], str] = {}
        self.active: set[int] = set()

    def encode(self, value: object, level: int, out: list[str]) -> None:
        if isinstance(value, str):
            out.append(encode_basestring(value))
        elif value is None:
            out.append("null")
        elif value is True:
            out.append("true")
        elif value is False:
            out.append("false")
        elif isinstance(value, int):
            out.append(int.__repr__(value))
        elif isinstance(value, float):
            out.append(_float(value))
        elif isinstance(value, (list, tuple, dict)):
            if not value:
                out.append("{}" if isinstance(value, dict) else "[]")
                return
            ident = id(value)
            if ident in self.repeated:
                text = self.memo.get((ident, level))
                if text is None:
                    piece: list[str] = []
                    self._container(value, level, piece)
                    text = self.memo[(ident, level)] = "".join(piece)
                out.append(text)
            else:
                self._container(value, level, out)
        else:
            raise _not_serializable(value)

    def _container(
        self, value: list[Any] | tuple[Any, ...] | dict[Any, Any], level: int, out: list[str]
    ) -> None:
        ident = id(value)
        if ident in self.active:
            raise ValueError("Circular reference detected")
        self.active.add(ident)
        inner = "\n" + " " * (self.indent * (level + 1))
        if isinstance(value, dict):
            out.append("{")
            first = True
            for key, item in value.items():
                out.append(inner if first else "," + inner)
                first = False
                out.append(encode_basestring(_key(key)))
                out.append(": ")
                self.encode(item, level + 1, out)
            out.append("\n" + " " * (self.indent * level) + "}")
        else:
            out.append("[")
            first = True
            for item in value:
                out.append(inner if first else "," + inner)
                first = False
                self.encode(item, level + 1, out)
            out.append("\n" + " " * (self.indent * level) + "]")
        self.active.discard(ident)


class _Sink(list[str]):
    """A piece list that hands its contents to `write` whenever it grows long."""

    def __init__(self, write: Callable[[str], object]) -> None:
        super().__init__()
        self.write = write

    def append(self, piece: str) -> None:
        super().append(piece)
        if len(self) >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        if self:
            self.write("".join(self))
            self.clear()


def write_json(value: object, write: Callable[[str], object], *, indent: int = 2) -> None:
    """Write `value` as `json.dumps(value, indent=indent, ensure_ascii=False)` would, in pieces.

    Raises TypeError (nothing written) for a value json.dumps refuses, and ValueError for a
    circular reference.
    """
    sink = _Sink(write)
    _Encoder(_repeated(value), indent).encode(value, 0, sink)
    sink.flush()
