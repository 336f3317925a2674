"""Reading `archfit.yaml` into validated `Settings`, with file:line in every error.

The document is composed with PyYAML's node API so that each field keeps its line; the policy's
`parse_settings` validates the decoded values and asks this module where a field was.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from archfit.errors import InputError
from archfit.policy import Settings, finding_ids, parse_settings, rule_names

__all__ = ["INPUT_FINDING_IDS", "load_settings"]

# Findings about the inputs rather than one workload (the manifest reader's, the lockfile's,
# the inventory's, the online and live checks'): `rules.severity` re-grades them and an `ignore`
# entry naming only finding ids drops them, like the policy's own findings.
INPUT_FINDING_IDS = frozenset(
    {
        "appset-not-generated",
        "daemonset-arch-failure",
        "exec-format-error",
        "helm-not-rendered",
        "helm-values-incomplete",
        "invalid-kustomization",
        "invalid-manifest",
        "invalid-yaml",
        "no-inventory",
        "no-lockfile",
        "not-deployed",
        "not-yaml",
        "patches-not-applied",
        "pending-no-arch-fit",
        "pi-rules-skipped",
        "remote-base-not-fetched",
        "render-failed",
        "running-on-wrong-arch",
        "template-patch-not-applied",
        "unreadable",
        "unreadable-directory",
        "unresolved-images",
    }
)


def _decode(
    node: yaml.Node, lines: dict[tuple[str | int, ...], int], path: tuple[str | int, ...]
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            lines[(*path, str(key))] = key_node.start_mark.line + 1
            out[key] = _decode(value_node, lines, (*path, str(key)))
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_decode(item, lines, (*path, i)) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def load_settings(path: Path) -> Settings:
    """Read and validate a policy file; raises `InputError` naming file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read the policy file: {err.strerror}", where=str(path)) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise InputError(f"invalid YAML: {problem}", where=where) from None
    lines: dict[tuple[str | int, ...], int] = {}
    doc = _decode(root, lines, ()) if root is not None else None

    def locate(field: Sequence[str | int]) -> str:
        key = tuple(field)
        probe = key
        while probe and probe not in lines:
            probe = probe[:-1]
        line = lines.get(probe)
        name = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in key).replace(".[", "[")
        where = f"{path}:{line}" if line else str(path)
        return f"{where}: {name}" if name else where

    return parse_settings(
        doc, locate, known_rules=rule_names(), known_findings=finding_ids() | INPUT_FINDING_IDS
    )
