"""How the `app-template` chart names what it creates, and the value reading that naming and
object building share.

The base name is the chart's `fullname` (`fullnameOverride`, or `<release>-<global.nameOverride>`);
from 3.x each object's name follows the common library's `determineResourceNameFromValues`, in 2.x
the `main` controller takes the base and the others `<base>-<controller>`. Of the templates values
may hold, `{{ .Release.Name }}` and `{{ .Release.Namespace }}` are the ones expanded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "as_mapping",
    "chart_fullname",
    "expand_release",
    "resource_name",
    "v2_controller_name",
]

_RELEASE_TEMPLATE = re.compile(r"\{\{-?\s*\.Release\.(Name|Namespace)\s*-?\}\}")


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A values entry that should be a map; anything else reads as an empty one."""
    return value if isinstance(value, Mapping) else {}


def expand_release(text: Any, release: str, namespace: str) -> Any:
    if not isinstance(text, str):
        return text
    return _RELEASE_TEMPLATE.sub(
        lambda m: release if m.group(1) == "Name" else namespace, text
    ).strip()


def chart_fullname(values: Mapping[str, Any], release: str) -> str:
    """The chart's `fullname`: app-template sets `global.nameOverride` to the release name unless
    one is given, so the top-level `nameOverride` of the common library never applies to it."""
    global_ = as_mapping(values.get("global"))
    override = global_.get("fullnameOverride") or values.get("fullnameOverride")
    if override:
        name = str(override)
    else:
        short = str(global_.get("nameOverride") or release)
        name = release if short in release else f"{release}-{short}"
    return name[:63].rstrip("-")


def resource_name(
    base: str,
    identifier: str,
    item: Mapping[str, Any],
    *,
    many: bool,
    always: bool,
    r: str,
    ns: str,
) -> str:
    """`determineResourceNameFromValues` of the common library (3.x and later): `forceRename`, or
    `<prefix>-` + fullname + `-<identifier>` (several items, or always) + `-<suffix>`, each part
    skipped when the name already ends with it; the result is lower-cased."""
    if item.get("forceRename"):
        return str(expand_release(item["forceRename"], r, ns)).lower()
    name = base
    prefix = str(expand_release(item.get("prefix") or "", r, ns))
    if prefix and prefix != name:
        name = f"{prefix}-{name}"
    if (many or always) and identifier != name and not name.endswith(f"-{identifier}"):
        name = f"{name}-{identifier}"
    suffix = str(expand_release(item.get("suffix") or "", r, ns))
    if suffix and not name.endswith(f"-{suffix}"):
        name = f"{name}-{suffix}"
    return name.lower()


def v2_controller_name(fullname: str, cid: str, controller: Mapping[str, Any]) -> str:
    """A controller's name in chart 2.x (the common library's `controller.valuesToObject`)."""
    if controller.get("nameOverride"):
        return f"{fullname}-{controller['nameOverride']}"
    return fullname if cid == "main" else f"{fullname}-{cid}"
