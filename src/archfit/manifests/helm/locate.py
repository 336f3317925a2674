"""Lines of nested keys in a YAML document, so a workload derived from values points at the
line a person edits (`controllers.plex` in a HelmRelease), not just at the object's first line.

Only the files of Helm releases are composed (libyaml, cached per file text), so reading stays
fast for large trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import yaml

from archfit.manifests.documents import split_documents

__all__ = ["line_of"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=512)
def _composed(text: str) -> tuple[tuple[int, Any], ...]:
    out = []
    for first, chunk in split_documents(text):
        try:
            node = yaml.compose(chunk, Loader=_Loader)
        except yaml.YAMLError:
            node = None
        out.append((first, node))
    return tuple(out)


def line_of(text: str, index: int, path: Sequence[str | int]) -> int:
    """1-based line of the deepest key of `path` found in document `index` of `text` (0 when the
    document cannot be composed)."""
    docs = _composed(text)
    if index >= len(docs):
        return 0
    first, node = docs[index]
    if node is None:
        return 0
    line = node.start_mark.line
    for part in path:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    line, node = key.start_mark.line, value
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return int(first) + int(line)
