"""The state a fix plan is built in, shared by the writers of `rewrite.plan`: the plan itself
(new text per file, notes), the files opened for editing, and the walk along a YAML path.

Pure: a file is read through the `read` callable the planner is given, and kept parsed so every
edit of one file lands in the same round-trip document."""

from __future__ import annotations

import os
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from archfit.manifests.documents import Document, read_text
from archfit.manifests.rewrite.targets import shared_note
from archfit.manifests.rewrite.yamlrt import YamlFile
from archfit.model.workload import Workload

__all__ = ["FixPlan"]


@dataclass
class FixPlan:
    """New text per file path (as given), and one line per decision worth telling."""

    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


def _parse_path(text: str) -> list[str | int]:
    out: list[str | int] = []
    for part in text.replace("[", ".[").split("."):
        if not part:
            continue
        out.append(int(part[1:-1]) if part.startswith("[") else part)
    return out


def _walk(node: Any, path: Sequence[str | int], *, create: bool) -> Any:
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return None
            node = node[part]
            continue
        if not isinstance(node, MutableMapping):
            return None
        child = node.get(part)
        if child is None and create:
            from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415

            node[part] = CommentedMap()
            child = node[part]
        node = child
    return node


class _Files:
    def __init__(self, read: Callable[[str], str | None], resolve: Callable[[str], str]) -> None:
        self.read = read
        self.resolve = resolve
        self.open: dict[str, YamlFile] = {}
        self.created: dict[str, str] = {}

    def get(self, file: str) -> YamlFile | None:
        if file not in self.open:
            text = self.read(file)
            if text is None:
                return None
            self.open[file] = YamlFile.parse(text, where=file, json=file.endswith(".json"))
        return self.open[file]


def _owned(files: _Files, file: str, roots: Sequence[Path]) -> bool:
    target = files.resolve(file)
    for root in roots:
        base = files.resolve(str(root))
        if target == base or target.startswith(base.rstrip(os.sep) + os.sep):
            return True
    return False


@lru_cache(maxsize=64)
def _documents(text: str, file: str) -> tuple[Document, ...]:
    return tuple(read_text(text, file).documents)


def _doc_index(text: str, file: str, workload: Workload) -> int | None:
    """The YAML document of `file` that `workload` was read from (by line, then by name)."""
    documents = _documents(text, file)
    for doc in documents:
        if doc.source.line == workload.source.line and doc.kind in {workload.kind, "Service"}:
            return doc.index
    for doc in documents:
        if doc.kind == workload.kind and doc.name == workload.name:
            return doc.index
    return None


def _refuse_shared(
    display: str, doc: Any, path: Sequence[str | int], text: str, plan: FixPlan
) -> bool:
    """True (with a note) when an edit at `path` would also change what other workloads share."""
    note = shared_note(display, doc, path, text)
    if note is not None:
        plan.notes.append(note)
    return note is not None
