"""Placement edits that keep substitution variables (`${VAR}`) exactly as written.

A file that Flux (or envsubst) substitutes holds `${VAR}` text that archfit judged with its
value filled in. An edit may add around such text, or move it with its key (the in-place
rename of `beta.kubernetes.io/arch`), but must never replace it: the next substitution would
then lose the variable. `apply_keeping_variables` tries the edit on a copy first and refuses
it when a string holding `${` is gone afterwards.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping, MutableMapping
from typing import Any

from archfit.manifests.rewrite.placement import apply_placement
from archfit.model.placement import Placement

__all__ = ["apply_keeping_variables", "place_keeping_variables"]


def _variables(node: Any, path: str, out: dict[str, str]) -> None:
    """Every string holding `${` below `node` (keys too), with where it is."""
    if isinstance(node, str):
        if "${" in node:
            out.setdefault(node, path)
    elif isinstance(node, Mapping):
        for key, value in node.items():
            if isinstance(key, str) and "${" in key:
                out.setdefault(key, f"{path}.{key}".lstrip("."))
            _variables(value, f"{path}.{key}".lstrip("."), out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _variables(value, f"{path}[{i}]", out)


def _counted(node: Any) -> Counter[str]:
    counts: Counter[str] = Counter()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if "${" in value:
                counts[value] += 1
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(key, str) and "${" in key:
                    counts[key] += 1
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(node)
    return counts


def apply_keeping_variables(
    target: MutableMapping[str, Any], placement: Placement
) -> tuple[bool, str | None]:
    """`apply_placement(target, placement)` unless it would replace a string holding `${`:
    (whether something changed, None) or (False, "`${VAR}` at path") when refused, with
    `target` untouched."""
    before = _counted(target)
    if not before:
        return apply_placement(target, placement), None
    trial = copy.deepcopy(target)
    if not apply_placement(trial, placement):
        return False, None
    lost = before - _counted(trial)
    if lost:
        where: dict[str, str] = {}
        _variables(target, "", where)
        text = sorted(lost)[0]
        return False, f"{text!r} at {where.get(text, '?')}"
    return apply_placement(target, placement), None


def place_keeping_variables(
    target: MutableMapping[str, Any], placement: Placement, display: str, notes: list[str]
) -> bool:
    """`apply_keeping_variables`, with a note for `display` (the workload) when refused."""
    changed, refused = apply_keeping_variables(target, placement)
    if refused is not None:
        notes.append(
            f"{display}: not edited: the placement would replace {refused}, a substitution "
            "variable; add the placement by hand"
        )
    return changed
