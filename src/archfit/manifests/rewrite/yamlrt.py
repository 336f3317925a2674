"""Round-trip YAML text: edit some documents of a file, keep every other byte.

A file is split into document chunks exactly as `archfit.manifests.documents` splits it, so
separators, directives and anything between documents survive exactly. A byte-order mark, CRLF
line ends and a missing final newline are taken off before and put back after (`_Envelope`).
Only chunks whose document was changed are written anew, each in the first of these ways that
reads back as the edited document:

1. the changes spliced into the text (`flowsplice`): additions into flow collections in their
   own layout, renamed keys and replaced strings in their own quoting — the only way for a JSON
   file (`json=True`), whose other edits are refused and named in `refused`;
2. ruamel.yaml's round-trip emission of the document before and after the edit, with this
   document's own indentation (detected per document), quotes preserved and no line wrapping,
   the lines that differ applied to the original lines (`YamlFile._merge`);
3. new keys and items of block collections spliced in as block lines after their last entry;
4. ruamel's emission of the whole document (named in `rewritten`).

Within a re-emitted chunk, the lines before the document's first content (the `---` line and
comments like a `yaml-language-server` header, which ruamel would drop when they precede a
leading `---`) are kept verbatim as well.

Pure: text in, text out. ruamel.yaml is imported here only (the `fix` extra).
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter

from archfit.errors import InputError
from archfit.manifests.documents import split_documents
from archfit.manifests.rewrite import flowsplice
from archfit.manifests.yamldecode import decode

__all__ = ["Indentation", "YamlFile", "detect_indentation"]

_EventLoader: Any = getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader)

_KEY_LINE = re.compile(r"^(\s*)(?:- )?[^\s#-][^:#]*:\s*(?:#.*)?$")
_CONTENT = re.compile(r"^(\s*)(\S)")


class SpelledBool(int):
    """A boolean spelled other than `true`/`false` (`True`, `FALSE`), kept as written; ruamel
    would otherwise re-emit it in lower case. (`yes`/`on` are strings in YAML 1.2, and stay so.)"""

    text: str

    def __new__(cls, value: bool, text: str) -> SpelledBool:
        obj = super().__new__(cls, value)
        obj.text = text
        return obj

    def __bool__(self) -> bool:
        return int(self) != 0

    def __getnewargs__(self) -> tuple[bool, str]:  # type: ignore[override]
        # Copies and pickles need both arguments (a copied document keeps the spelling).
        return (int(self) != 0, self.text)


def _construct_bool(constructor: RoundTripConstructor, node: ScalarNode) -> Any:
    value = constructor.construct_yaml_bool(node)
    if node.value in {"true", "false"} or getattr(node, "anchor", None):
        return value
    return SpelledBool(bool(value), node.value)


def _represent_spelled(representer: RoundTripRepresenter, data: SpelledBool) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:bool", data.text)


@dataclass(frozen=True, slots=True)
class Indentation:
    """ruamel's `indent(mapping, sequence, offset)`: spaces per nested mapping; spaces from a
    sequence's parent to its items' content; spaces from the parent to the dash."""

    mapping: int = 2
    sequence: int = 4
    offset: int = 2


def detect_indentation(text: str, fallback: Indentation | None = None) -> Indentation:
    """Guess the indentation of `text` from its first nested mapping and its first block
    sequence under a key. What the text does not show comes from `fallback` (the whole file's,
    for one document), else from the Kubernetes-documentation style (2, 4, 2)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    mapping: int | None = None
    seq: tuple[int, int] | None = None
    for prev, line in itertools.pairwise(lines):
        key = _KEY_LINE.match(prev)
        if not key or prev.rstrip().endswith(("|", ">", "|-", ">-")):
            continue
        parent = len(key.group(1)) + (2 if prev.lstrip().startswith("- ") else 0)
        content = _CONTENT.match(line)
        if not content:
            continue
        col = len(content.group(1))
        if line.lstrip().startswith("- "):
            if seq is None and col >= parent:
                after = len(line) - len(line.lstrip()[2:].lstrip())
                seq = (after - parent, col - parent)
        elif mapping is None and col > parent:
            mapping = col - parent
        if mapping is not None and seq is not None:
            break
    if fallback is not None:
        m = mapping or fallback.mapping
        sequence, offset = seq if seq else (fallback.sequence, fallback.offset)
    else:
        m = mapping or 2
        sequence, offset = seq if seq else (m + 2, m)
    return Indentation(m, max(sequence, offset + 2), offset)


@dataclass
class _Chunk:
    text: str
    start: int  # first line of the chunk in the file (0-based)
    body_start: int  # first line (relative) of the document's content
    indentation: Indentation = field(default_factory=Indentation)
    data: Any = None
    pristine: Any = None  # a copy of `data` as loaded, to find what an edit changed
    loaded: bool = False
    dirty: bool = False


def _lines_with_ends(text: str) -> list[str]:
    return text.splitlines(keepends=True)


@dataclass(frozen=True, slots=True)
class _Envelope:
    """What the text carries around its YAML: a byte-order mark, CRLF line ends, whether the
    last line ends. Edits work on the bare text; `wrap` puts the envelope back."""

    bom: bool = False
    crlf: bool = False
    final_newline: bool = True

    @classmethod
    def strip(cls, text: str) -> tuple[_Envelope, str]:
        bom = text.startswith("\ufeff")
        bare = text[1:] if bom else text
        # Only a file whose every line ends in CRLF is treated as CRLF; mixed ends stay as read.
        crlf = "\r\n" in bare and bare.count("\r\n") == bare.count("\n")
        if crlf:
            bare = bare.replace("\r\n", "\n")
        return cls(bom, crlf, bare.endswith("\n") or not bare), bare

    def wrap(self, text: str) -> str:
        if not self.final_newline and text.endswith("\n"):
            text = text[:-1]
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return "\ufeff" + text if self.bom else text


@dataclass
class YamlFile:
    """A YAML stream held for editing. `documents()` yields ruamel round-trip objects; mutate
    them, call `mark_changed(i)`, then `text()` returns the file with only those documents
    re-emitted. A JSON file (`json=True`) is only ever edited by splicing JSON text into it; an
    edit that cannot be written so leaves the file as it is and is named in `refused`."""

    original: str
    indentation: Indentation = field(default_factory=Indentation)
    _chunks: list[_Chunk] = field(default_factory=list)
    json: bool = False
    refused: list[str] = field(default_factory=list)
    # 1-based numbers of documents ruamel wrote out whole (their layout may have changed).
    rewritten: list[int] = field(default_factory=list)
    _envelope: _Envelope = field(default_factory=_Envelope)

    @classmethod
    def parse(cls, text: str, *, where: str = "", json: bool = False) -> YamlFile:
        """Split `text` into documents exactly as `archfit.manifests.documents` does, so that
        document `i` here is the `Document.index == i` read from the same file. Raises
        `InputError` (naming `where`) when the text is not YAML."""
        envelope, bare = _Envelope.strip(text)
        _check_yaml(bare, where)
        whole = detect_indentation(bare)
        chunks = []
        for first, chunk_text in split_documents(bare):
            lines = _lines_with_ends(chunk_text)
            start = _body_start(lines)
            own = detect_indentation("".join(lines[start:]), whole)
            chunks.append(_Chunk(chunk_text, first - 1, start, own))
        if not chunks:
            chunks.append(_Chunk(bare, 0, _body_start(_lines_with_ends(bare)), whole))
        return cls(text, whole, chunks, json, [], [], envelope)

    def __len__(self) -> int:
        return len(self._chunks)

    def _yaml(self, indentation: Indentation | None = None) -> YAML:
        indentation = indentation or self.indentation
        y = YAML(typ="rt")
        y.preserve_quotes = True
        # Never wrap: ruamel folds long scalars at 80 columns by default.
        y.width = _NO_WRAP
        # `[{key: value}]`, not ruamel's compact `[key: value]`, for a new one-entry mapping.
        y.brace_single_entry_mapping_in_flow_sequence = True
        y.constructor.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
        y.representer.add_representer(SpelledBool, _represent_spelled)
        y.indent(
            mapping=indentation.mapping,
            sequence=indentation.sequence,
            offset=indentation.offset,
        )
        return y

    def document(self, index: int) -> Any:
        """The ruamel round-trip object of document `index` (None for an empty document)."""
        chunk = self._chunks[index]
        if not chunk.loaded:
            body = "".join(_lines_with_ends(chunk.text)[chunk.body_start :])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    chunk.data = self._yaml(chunk.indentation).load(body) if body.strip() else None
                except YAMLError as err:
                    raise InputError(f"not valid YAML: {type(err).__name__}") from None
            # Copying keeps comments and formatting and costs far less than parsing again.
            chunk.pristine = copy.deepcopy(chunk.data)
            chunk.loaded = True
        return chunk.data

    def documents(self) -> Iterator[Any]:
        for i in range(len(self._chunks)):
            yield self.document(i)

    def start_line(self, index: int) -> int:
        """1-based line of document `index`'s first content line."""
        chunk = self._chunks[index]
        return chunk.start + chunk.body_start + 1

    def mark_changed(self, index: int) -> None:
        self._chunks[index].dirty = True

    def text(self) -> str:
        """The file with changed documents re-emitted and everything else as it was."""
        out = []
        self.refused.clear()
        self.rewritten.clear()
        for i, chunk in enumerate(self._chunks):
            if not chunk.dirty:
                out.append(chunk.text)
                continue
            lines = _lines_with_ends(chunk.text)
            head = "".join(lines[: chunk.body_start])
            body = "".join(lines[chunk.body_start :])
            spliced = self._splice(body, chunk)
            if spliced is not None:
                out.append(head + spliced)
                continue
            if self.json:
                self.refused.append(
                    f"document {i + 1}: the edit cannot be written as JSON in this file's layout"
                )
                out.append(chunk.text)
                continue
            emitted = self._dump(chunk.data, chunk.indentation)
            merged = self._merge(body, self._dump(chunk.pristine, chunk.indentation), emitted)
            if merged is None:
                merged = self._splice(body, chunk, block=True)
            if merged is not None:
                out.append(head + merged)
                continue
            self.rewritten.append(i + 1)
            trailing = body[len(body.rstrip("\n")) :] if body.strip() else "\n"
            out.append(head + emitted.rstrip("\n") + (trailing or "\n"))
        return self._envelope.wrap("".join(out))

    def _splice(self, body: str, chunk: _Chunk, *, block: bool = False) -> str | None:
        """The edit written into flow collections (and with `block`, after the last entry of
        block mappings) as text (see `flowsplice`), checked to read back as the edited
        document; None when it is not only such additions."""
        if not body.strip():
            return None
        try:
            node = flowsplice.compose(body)
        except pyyaml.YAMLError:
            return None
        if node is None:
            return None
        additions = flowsplice.find_additions(node, chunk.pristine, chunk.data, parent_flow=False)
        if not additions:
            return None
        if self.json:
            spliced = flowsplice.splice(
                body,
                additions,
                flowsplice.render_json,
                scalar=flowsplice.scalar_json,
                expand_empty=_json_unit(body),
            )
        else:
            render: flowsplice.Render = flowsplice.render_yaml
            double = _prefers_double_quotes(body)
            if double:
                render = _double_quoting(render)

            def block_lines(entry: tuple[Any, ...]) -> str:
                if len(entry) == 2:  # a new key: `key: …` lines
                    lines = self._dump({entry[0]: entry[1]}, chunk.indentation)
                elif isinstance(entry[0], dict | list) and entry[0]:  # a new item's content
                    lines = self._dump(entry[0], chunk.indentation)
                else:
                    lines = render(entry, None) + "\n"
                return "".join(map(_double_quoted, _lines_with_ends(lines))) if double else lines

            spliced = flowsplice.splice(
                body,
                additions,
                render,
                scalar=flowsplice.scalar_yaml,
                block=block_lines if block else None,
            )
        if spliced is None:
            return None
        try:
            if self.json:
                json.loads(spliced)
            same = decode(spliced) == decode(self._dump(chunk.data, chunk.indentation))
        except (pyyaml.YAMLError, ValueError):
            return None
        return spliced if same else None

    def _dump(self, data: Any, indentation: Indentation | None = None) -> str:
        stream = io.StringIO()
        self._yaml(indentation).dump(data, stream)
        return stream.getvalue()

    def _merge(self, body: str, pristine: str, emitted: str) -> str | None:
        """The original `body` with only the lines the edit added or changed.

        ruamel normalises a few things when it re-emits a document (spaces inside flow
        mappings, where a comment after a sequence dash goes). To keep those as written, the
        unmodified document is emitted too; the line differences between the two emissions (the
        edit) are applied to the original text at the matching lines. None when the edit touches
        a line ruamel itself rewrote, or when the result would not read back as the edited
        document; the caller then uses ruamel's emission of the whole document.
        """
        if not body.strip():
            return None
        original = _lines_with_ends(body if body.endswith("\n") else body + "\n")
        before = _lines_with_ends(pristine)
        after = _lines_with_ends(emitted)
        mapped: dict[int, int] = {}
        for tag, i1, i2, j1, _ in SequenceMatcher(
            None, before, original, autojunk=False
        ).get_opcodes():
            if tag == "equal":
                mapped.update({i1 + k: j1 + k for k in range(i2 - i1)})
        edits: list[tuple[int, int, list[str]]] = []
        for tag, i1, i2, j1, j2 in SequenceMatcher(
            None, before, after, autojunk=False
        ).get_opcodes():
            if tag == "equal":
                continue
            if i1 == i2:  # an insertion: after the line before it, else before the line after it
                if i1 - 1 in mapped:
                    at = mapped[i1 - 1] + 1
                elif i1 in mapped:
                    at = mapped[i1]
                else:
                    return None
                edits.append((at, at, after[j1:j2]))
                continue
            span = [mapped.get(i) for i in range(i1, i2)]
            if None in span or span != list(range(span[0] or 0, (span[0] or 0) + len(span))):
                return None
            first = span[0] or 0
            edits.append((first, first + len(span), after[j1:j2]))
        result = list(original)
        double = _prefers_double_quotes(body)
        for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
            result[start:end] = [_double_quoted(line) for line in new] if double else new
        merged = "".join(result)
        # Both texts must decode to the same document (Kubernetes' decoding rules, libyaml).
        try:
            same = decode(merged) == decode(emitted)
        except pyyaml.YAMLError:
            return None
        return merged if same else None


_NO_WRAP = 1 << 30


def _json_unit(text: str) -> str | None:
    """The indent per level of a pretty-printed JSON text (None: it is on one line)."""
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped:
            return line[: len(line) - len(stripped)] or None
    return None


def _double_quoting(render: flowsplice.Render) -> flowsplice.Render:
    """`render`, quoting with `"` what it quotes with `'`."""
    return lambda entry, unit: _double_quoted(render(entry, unit))


_SINGLE_QUOTED = re.compile(r"'([^'\"\\]*)'")


def _prefers_double_quotes(text: str) -> bool:
    """Whether the file quotes its scalars with `"` rather than `'` (comments aside)."""
    code = "\n".join(line.split(" #", 1)[0] for line in text.splitlines())
    return code.count('"') > code.count("'")


def _double_quoted(line: str) -> str:
    """ruamel writes `'true'`; a file that quotes with `"` gets `"true"` (same value: the
    result is decoded and compared with the edited document before it is used)."""
    head, sep, comment = line.partition(" #")
    return _SINGLE_QUOTED.sub(r'"\1"', head) + sep + comment


def _check_yaml(text: str, where: str) -> None:
    """Raise `InputError` unless `text` is YAML (libyaml's parser: events only, fast)."""
    try:
        for _ in pyyaml.parse(text, Loader=_EventLoader):
            pass
    except pyyaml.YAMLError as err:
        raise InputError(f"not valid YAML: {type(err).__name__}", where=where) from None


def _body_start(lines: list[str]) -> int:
    """Index of the first line that is document content (not blank, comment, `---`, `%`)."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or line.startswith("%"):
            continue
        if stripped == "---" or (
            stripped.startswith("--- ") and stripped[4:].lstrip().startswith("#")
        ):
            continue
        if stripped.startswith("---"):
            # `--- !tag` or `--- {…}`: the content is on this line; emit it with the document.
            return i
        return i
    return len(lines)
