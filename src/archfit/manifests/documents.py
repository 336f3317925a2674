"""Decoding the bytes of YAML files into Kubernetes-shaped documents (pure: no file access).

This is the first step of loading manifests: the bytes of a file become `Document`s (a decoded
mapping with the file and line it started at). Nothing here knows what a Deployment is; it only
knows what a Kubernetes object looks like (a mapping with `apiVersion` and `kind`). Walking
directories and reading the bytes is `archfit.sources.files.read_documents`.

Contract of `read_bytes` (and of `read_documents`, which applies it to every file it finds):
- a file named `*.json` is decoded as JSON, any other as YAML;
- multi-document YAML; `kind: List` and typed lists (`NodeList`, …) are flattened into their
  items, each keeping its own line;
- documents that are not Kubernetes objects (Helm values, Talos configs, compose files) are
  skipped quietly; `kustomization.yaml` files are kept (kustomize allows them to omit
  `apiVersion`/`kind`, which are filled in) because sources and namespace defaulting need them;
- a document that is not YAML but holds template tags (`{%`, `{{`: an Ansible role's Jinja
  template, a Go template) is a template, not a broken manifest: skipped quietly;
- broken YAML becomes an `invalid-yaml` finding with `file:line`, a file that is not UTF-8 a
  `not-yaml` one and an unreadable file an `unreadable` one; the other documents of the same
  file are kept. It never raises for content.

Speed: documents are split on `---` lines by hand (tracking where each starts) and each is
decoded from libyaml's events by `archfit.manifests.yamldecode`; composing a node graph with
marks is done only for the rare List documents, to give items their own lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import yaml

from archfit.manifests.yamldecode import decode
from archfit.model.finding import Finding
from archfit.model.workload import SourceRef

__all__ = [
    "KUSTOMIZATION_FILES",
    "YAML_SUFFIXES",
    "Document",
    "ReadResult",
    "decode_text",
    "missing",
    "read_bytes",
    "read_text",
    "split_documents",
    "unreadable",
]

# Composing node graphs (with marks) is only needed for List documents, to locate their items.
_ComposeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

YAML_SUFFIXES = (".yaml", ".yml")
KUSTOMIZATION_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
_KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"
# A document starts at `---` in column 0 followed by white space or the end of the line. Inside a
# block scalar the marker is indented, and at column 0 it ends any scalar (YAML's c-forbidden).
_DOC_START = re.compile(r"^---(?=[ \t\r]|$)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Document:
    """One Kubernetes object as decoded from a file.

    `source` is the file (as given on the command line, joined with the path below it) and the
    1-based line where the object starts (for an item of a List, the item's line). `index` is
    the 0-based number of the YAML document within its file; items of one List share it.
    `text` is the object's YAML as a renderer printed it, kept only where Flux may substitute
    variables in it (it holds a `$`); empty otherwise.
    """

    body: Mapping[str, Any]
    source: SourceRef
    index: int = 0
    text: str = ""

    @property
    def kind(self) -> str:
        kind = self.body.get("kind")
        return kind if isinstance(kind, str) else ""

    @property
    def api_version(self) -> str:
        value = self.body.get("apiVersion")
        return value if isinstance(value, str) else ""

    @property
    def group(self) -> str:
        """The API group (`apps`, `helm.toolkit.fluxcd.io`; "" for the core group)."""
        return self.api_version.rpartition("/")[0]

    @property
    def metadata(self) -> Mapping[str, Any]:
        meta = self.body.get("metadata")
        return meta if isinstance(meta, Mapping) else {}

    @property
    def name(self) -> str:
        name = self.metadata.get("name")
        return name if isinstance(name, str) else ""

    @property
    def namespace(self) -> str | None:
        """`metadata.namespace` as written, None when absent (defaulting happens later)."""
        ns = self.metadata.get("namespace")
        return ns if isinstance(ns, str) and ns else None

    @property
    def path(self) -> Path:
        return Path(self.source.file)


@dataclass(slots=True)
class ReadResult:
    """What `read_documents` found: documents in input order, problems, and a file count."""

    documents: list[Document] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    files_read: int = 0

    def extend(self, other: ReadResult) -> None:
        self.documents.extend(other.documents)
        self.problems.extend(other.problems)
        self.files_read += other.files_read


# A file that is not text, or cannot be read, has no YAML syntax to fix: its own id and hint.
_PROBLEM_HINTS = {
    "invalid-yaml": "fix the YAML syntax at that line; the rest of the file was still read",
    "not-yaml": "this is not a YAML text file: remove it from the tree or rename it (only "
    "*.yaml and *.yml files are read)",
    "unreadable": "make the file readable by this user (or remove it); the rest was still read",
}


def _problem(file: str, line: int, message: str, id_: str = "invalid-yaml") -> Finding:
    where = SourceRef(file, line)
    return Finding(
        id=id_,
        severity="error",
        message=f"{where}: {message}",
        subject=file,
        source=where,
        hint=_PROBLEM_HINTS[id_],
        rule="manifests",
    )


def decode_text(data: bytes, file: str) -> tuple[str | None, Finding | None]:
    """Decode file bytes as UTF-8 (or UTF-16/32 when a byte-order mark says so)."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16"), None
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as err:
        start = err.start if isinstance(err.object, bytes) else 0
        line = data.count(b"\n", 0, start) + 1
        return None, _problem(
            file,
            line,
            f"not UTF-8 text (byte 0x{data[start]:02x} at offset {start}); "
            "expected a UTF-8 encoded YAML file",
            "not-yaml",
        )


def split_documents(text: str) -> list[tuple[int, str]]:
    """Split YAML text into `(line, text)` per document: the 1-based line where the chunk
    begins (its `---` line, or 1) and the chunk's text, starting at the beginning of that line
    so that line numbers inside it are offsets from it. Directive lines (`%YAML`) stay with the
    document they introduce. Only `---` in column 0 splits, never one indented in a scalar.
    """
    starts = [m.start() for m in _DOC_START.finditer(text)]
    bounds = [0, *starts] if not starts or starts[0] != 0 else starts
    chunks: list[tuple[int, str]] = []
    line = 1
    pending = ""
    pending_line = 0
    for i, begin in enumerate(bounds):
        end = bounds[i + 1] if i + 1 < len(bounds) else len(text)
        chunk = text[begin:end]
        if pending:
            chunk, first = pending + chunk, pending_line
            pending = ""
        else:
            first = line
        line_count = text.count("\n", begin, end)
        if _is_directives_only(chunk):
            pending, pending_line = chunk, first
        else:
            chunks.append((first, chunk))
        line += line_count
    if pending:
        chunks.append((pending_line, pending))
    return chunks


def _is_directives_only(chunk: str) -> bool:
    if not chunk.startswith("%") and "\n%" not in chunk:
        return False  # the common case, without splitting the chunk into lines
    content = [ln for ln in chunk.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return bool(content) and all(ln.startswith("%") for ln in content)


def _content_offset(chunk: str) -> int:
    """0-based line offset of the first content line of a chunk: not blank, not a comment,
    not a directive, not a bare `---` (text on the `---` line itself, as in `--- !!map` or
    `--- {a: 1}`, makes that line the first)."""
    for offset, line in enumerate(chunk.split("\n", 64)):
        text = line.strip()
        if not text or text.startswith("#") or line.startswith("%"):
            continue
        if line.startswith("---"):
            rest = line[3:].strip()
            if not rest or rest.startswith("#"):
                continue
        return offset
    return 0


class _Reader:
    """Reads one file's text into documents; kept as a class to share per-file state."""

    def __init__(self, file: str, *, kustomization: bool) -> None:
        self.file = file
        self.kustomization = kustomization
        self.result = ReadResult(files_read=1)

    def read_text(self, text: str) -> ReadResult:
        for index, (first, chunk) in enumerate(split_documents(text)):
            self._read_chunk(index, first, chunk)
        return self.result

    def read_json(self, text: str) -> ReadResult:
        try:
            body = json.loads(text)
        except json.JSONDecodeError as err:
            self.result.problems.append(
                _problem(self.file, err.lineno, f"invalid JSON: {err.msg} (column {err.colno})")
            )
            return self.result
        self._accept(body, 0, 1, None)
        return self.result

    def _read_chunk(self, index: int, first: int, chunk: str) -> None:
        try:
            body = decode(chunk)
        except yaml.YAMLError as err:
            if "{%" in chunk or "{{" in chunk:
                return  # a template (Jinja, Go): valid as what it is, not a manifest
            self.result.problems.append(self._error(err, first, chunk))
            return
        if body is None:
            return
        line = first + _content_offset(chunk)
        self._accept(body, index, line, chunk)

    def _error(self, err: yaml.YAMLError, first: int, chunk: str) -> Finding:
        if isinstance(err, yaml.MarkedYAMLError):
            mark = err.problem_mark or err.context_mark
            # At the end of a chunk libyaml points past its last line, which is the next
            # document's `---`: report the last line of this document instead.
            line = first + min(mark.line if mark else 0, _last_content_line(chunk))
            problem = err.problem or "invalid YAML"
            message = f"invalid YAML: {problem}"
            if err.context:
                ctx_line = (
                    first + min(err.context_mark.line, _last_content_line(chunk))
                    if err.context_mark
                    else line
                )
                message += f" ({err.context}" + (
                    f" at line {ctx_line})" if ctx_line != line else ")"
                )
            return _problem(self.file, line, message)
        return _problem(self.file, first, f"invalid YAML: {err}")

    def _accept(self, body: Any, index: int, line: int, chunk: str | None) -> None:
        if not isinstance(body, Mapping):
            return
        kind, api_version = body.get("kind"), body.get("apiVersion")
        if self.kustomization and (kind is None or kind == "Kustomization"):
            body = {"apiVersion": _KUSTOMIZE_API, "kind": "Kustomization", **body}
            kind, api_version = "Kustomization", body["apiVersion"]
        if not isinstance(kind, str) or not isinstance(api_version, str) or not kind:
            return
        items = body.get("items")
        if kind.endswith("List") and isinstance(items, list):
            self._accept_list(body, items, index, line, chunk)
            return
        self.result.documents.append(Document(body, SourceRef(self.file, line), index))

    def _accept_list(
        self, body: Mapping[str, Any], items: list[Any], index: int, line: int, chunk: str | None
    ) -> None:
        kind, api_version = str(body["kind"]), str(body["apiVersion"])
        item_kind = kind.removesuffix("List") if kind != "List" else ""
        lines = _item_lines(chunk, line) if chunk is not None else []
        for i, raw in enumerate(items):
            if not isinstance(raw, Mapping):
                continue
            item = raw
            if item_kind and ("kind" not in raw or "apiVersion" not in raw):
                # Typed lists from the API server (`NodeList`) omit each item's kind.
                item = {"apiVersion": api_version, "kind": item_kind, **raw}
            if not isinstance(item.get("kind"), str) or not isinstance(item.get("apiVersion"), str):
                continue
            item_line = lines[i] if i < len(lines) else line
            self.result.documents.append(Document(item, SourceRef(self.file, item_line), index))


def _last_content_line(chunk: str) -> int:
    """0-based offset of the last line of `chunk` that is not blank."""
    stripped = chunk.rstrip()
    return stripped.count("\n")


def _item_lines(chunk: str, first: int) -> list[int]:
    """1-based lines of the `items` entries of a List document (rare, so composed in full)."""
    try:
        node = yaml.compose(chunk, Loader=_ComposeLoader)
    except yaml.YAMLError:  # pragma: no cover - the same text just loaded
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    base = first - _content_offset(chunk)
    for key, value in node.value:
        if (
            isinstance(key, yaml.ScalarNode)
            and key.value == "items"
            and isinstance(value, yaml.SequenceNode)
        ):
            return [base + item.start_mark.line for item in value.value]
    return []


def read_bytes(data: bytes, file: str) -> ReadResult:
    """Read the content of one file named `file` (how it is named in sources and findings;
    its name says whether it is a kustomization, its suffix whether it is JSON)."""
    text, problem = decode_text(data, file)
    name = PurePath(file).name
    reader = _Reader(file, kustomization=name in KUSTOMIZATION_FILES)
    if text is None:
        assert problem is not None
        reader.result.problems.append(problem)
        return reader.result
    if name.endswith(".json"):
        return reader.read_json(text)
    return reader.read_text(text)


def unreadable(file: str, reason: str) -> ReadResult:
    """The result for a file that could not be read: no documents, one problem naming it."""
    result = ReadResult(files_read=0)
    result.problems.append(_problem(file, 0, reason, "unreadable"))
    return result


def missing(path: str) -> Finding:
    """The problem reported in place of a path given that does not exist."""
    return _problem(path, 0, "no such file or directory")


def read_text(text: str, file: str = "<input>", *, kustomization: bool = False) -> ReadResult:
    """Read YAML text as if it came from `file` (used by tests and by sources that render)."""
    return _Reader(file, kustomization=kustomization).read_text(text)
