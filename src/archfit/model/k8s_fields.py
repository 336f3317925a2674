"""Typed readers for fields of decoded Kubernetes objects.

Each reader takes a value and the document path it sits at, returns it as the expected type
(absent values become the empty or default value), and raises `InvalidValue` naming the path when
the value has the wrong type. `archfit.model.k8s` and its sibling converters read through these, so
every wire-shape error reads the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archfit.errors import InvalidValue
from archfit.model.quantity import Quantity

__all__ = ["Obj"]

Obj = Mapping[str, Any]


def _map(value: Any, path: str) -> Obj:
    if type(value) is dict:  # the common case, without the slower ABC check
        return value
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidValue(f"expected a mapping, got {type(value).__name__}", where=path)
    return value


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidValue(f"expected a list, got {type(value).__name__}", where=path)
    return value


def _str(value: Any, path: str, default: str = "") -> str:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidValue(f"expected a string, got {type(value).__name__}", where=path)
    return str(value)


def _bool(value: Any, path: str, default: bool = False) -> bool:
    # The API server rejects `"false"` for a boolean field; `bool("false")` would read True.
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidValue(f"expected a boolean, got {value!r}", where=path)
    return value


def _int(value: Any, path: str, default: int | None = None) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise InvalidValue(f"expected an integer, got {value!r}", where=path)
    return value


def _strings(value: Any, path: str) -> tuple[str, ...]:
    return tuple(_str(v, f"{path}[{i}]") for i, v in enumerate(_list(value, path)))


def _labels(value: Any, path: str) -> dict[str, str]:
    return {str(k): _str(v, f"{path}.{k}") for k, v in _map(value, path).items()}


def _resources(value: Any, path: str) -> dict[str, Quantity]:
    out: dict[str, Quantity] = {}
    for name, raw in _map(value, path).items():
        try:
            quantity = Quantity.parse(raw)
        except InvalidValue as err:
            raise err.at(f"{path}.{name}") from None
        if quantity.value < 0:  # the API server's ValidateNonnegativeQuantity
            raise InvalidValue(f"{raw}: must be greater than or equal to 0", where=f"{path}.{name}")
        out[str(name)] = quantity
    return out
