"""Images named in the values of a chart archfit cannot render.

Charts spell images in a few conventional shapes; all are recognised wherever they appear:

- a mapping under a key named `image` or ending in `Image`, with `repository` (or `name`) and
  optionally `registry`, `tag`, `digest` (Bitnami, prometheus-community, bjw-s, most others);
- a string under such a key: `image: "ghcr.io/org/app:1.2"`;
- a `tag` that carries a digest: `tag: 1.2.3@sha256:…`.

A reference without tag or digest takes its tag from the chart's `appVersion`, which is not known
without the chart; such images are listed with `tag_from_chart=True` and no parsed reference.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from archfit.errors import InvalidValue
from archfit.model.image import ImageRef

__all__ = ["ValuesImage", "find_images", "go_number_text", "image_string"]


@dataclass(frozen=True, slots=True)
class ValuesImage:
    """One image found in values. `path` is the dotted values path (`controller.image`)."""

    path: str
    reference: str
    ref: ImageRef | None
    tag_from_chart: bool = False


def go_number_text(value: float) -> str:
    """A number as Helm prints it: values are JSON, so every number is a float64, printed with
    Go's `%v` (shortest digits; an exponent from 1e+06 up or below 1e-04). `tag: 1.10` renders
    as `1.1`, `tag: 20240101` as `2.0240101e+07`."""
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if number == 0:
        return "-0" if math.copysign(1.0, number) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(number)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exponent)  # digits before the decimal point
    head = "-" if sign else ""
    exp10 = point - 1
    if exp10 < -4 or exp10 >= 6:
        mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
        return f"{head}{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if point <= 0:
        return f"{head}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return head + digits + "0" * (point - len(digits))
    return f"{head}{digits[:point]}.{digits[point:]}"


def _scalar_text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return go_number_text(value)
    return str(value).strip()


def image_string(spec: Mapping[str, Any]) -> tuple[str, bool]:
    """Build `registry/repository:tag@digest` from an image mapping.

    Returns the reference and whether the tag is left to the chart (no tag and no digest).
    """
    repository = _scalar_text(spec.get("repository")) or _scalar_text(spec.get("name"))
    registry = _scalar_text(spec.get("registry"))
    tag = _scalar_text(spec.get("tag"))
    digest = _scalar_text(spec.get("digest"))
    if registry and repository and not repository.startswith(registry + "/"):
        repository = f"{registry.rstrip('/')}/{repository}"
    if "@" in tag:
        tag, tag_digest = tag.split("@", 1)
        digest = digest or tag_digest
    text = repository
    if tag:
        text += f":{tag}"
    if digest:
        text += f"@{digest}"
    return text, not tag and not digest


def _parse(text: str) -> ImageRef | None:
    if not text or "{{" in text or "$" in text:
        return None
    try:
        return ImageRef.parse(text)
    except InvalidValue:
        return None


def _is_image_key(key: str) -> bool:
    return key == "image" or key.endswith(("Image", "image"))


def find_images(values: Mapping[str, Any], prefix: str = "") -> list[ValuesImage]:
    """Every image in `values`, in document order, each with its values path."""
    return list(_walk(values, prefix))


def _walk(node: Any, path: str) -> Iterator[ValuesImage]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _is_image_key(key):
                if isinstance(value, str) and value.strip():
                    text = value.strip()
                    yield ValuesImage(child, text, _parse(text))
                    continue
                if isinstance(value, Mapping) and (
                    _scalar_text(value.get("repository")) or _scalar_text(value.get("name"))
                ):
                    text, from_chart = image_string(value)
                    yield ValuesImage(child, text, None if from_chart else _parse(text), from_chart)
                    continue
            yield from _walk(value, child)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, f"{path}[{i}]")
