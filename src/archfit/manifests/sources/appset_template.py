"""Argo CD ApplicationSet templating: fasttemplate (`{{path.basename}}`) and, with
`goTemplate: true`, the subset of Go `text/template` ApplicationSets use in practice.

fasttemplate mode (Argo CD's default): `{{ key }}` is replaced by the flat parameter `key`
(white space inside the braces trimmed); a tag that names no parameter is left as written,
as Argo CD does.

Go mode: actions are pipelines of field chains (`.path.basename`), string and number literals
and the functions `index`, `default`, `lower`, `upper`, `trim`, `trimPrefix`, `trimSuffix`,
`replace`, `quote`, `toString`. A missing key renders `<no value>` (Go's default for maps)
unless `missingkey=error` is set, when the Application is not generated. Control structures
(`if`, `range`, `with`) are not modelled: such a template raises `TemplateError`, and the caller
reports the ApplicationSet as not generated rather than guess.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

__all__ = ["TemplateError", "render_fast", "render_go", "render_value"]

_FAST_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_GO_ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.DOTALL)
_NO_VALUE = "<no value>"


class TemplateError(Exception):
    """A template archfit cannot render as Argo CD would (missing key, unsupported action)."""


def render_fast(text: str, params: Mapping[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        tag = match.group(1).strip()
        value = params.get(tag)
        if not tag or not isinstance(value, str):
            return match.group(0)
        return value

    return _FAST_TAG.sub(one, text)


def render_go(text: str, params: Mapping[str, Any], *, missing_error: bool) -> str:
    out: list[str] = []
    pos = 0
    for match in _GO_ACTION.finditer(text):
        chunk = text[pos : match.start()]
        if match.group(1):
            chunk = chunk.rstrip()
        out.append(chunk)
        out.append(_to_text(_pipeline(match.group(2).strip(), params, missing_error)))
        pos = match.end()
        if match.group(3):
            rest = text[pos:]
            pos += len(rest) - len(rest.lstrip())
    out.append(text[pos:])
    return "".join(out)


def render_value(
    value: Any, params: Mapping[str, Any], *, go: bool, missing_error: bool = False
) -> Any:
    """`value` (a template's mapping, list or string) with every string rendered."""
    if isinstance(value, str):
        if "{{" not in value:
            return value
        return (
            render_go(value, params, missing_error=missing_error)
            if go
            else render_fast(value, params)
        )
    if isinstance(value, Mapping):
        return {
            render_value(k, params, go=go, missing_error=missing_error): render_value(
                v, params, go=go, missing_error=missing_error
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [render_value(v, params, go=go, missing_error=missing_error) for v in value]
    return value


def _to_text(value: Any) -> str:
    if value is None:
        return _NO_VALUE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_to_text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_to_text(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


def _pipeline(action: str, params: Mapping[str, Any], missing_error: bool) -> Any:
    if action.startswith("/*"):
        return ""
    first = action.split(None, 1)[0] if action else ""
    if first in {"if", "else", "end", "range", "with", "define", "template", "block"}:
        raise TemplateError(f"Go template action {first!r} is not modelled")
    result: Any = _MISSING
    for command in _split_pipes(action):
        words = _words(command)
        if not words:
            raise TemplateError(f"empty command in {{{{{action}}}}}")
        args = [_operand(w, params, missing_error) for w in words[1:]]
        if result is not _MISSING:
            args.append(result)
        head = words[0]
        if head in _FUNCTIONS:
            result = _FUNCTIONS[head](*args)
        elif len(words) == 1 and not args:
            result = _operand(head, params, missing_error)
        elif len(words) == 1:
            raise TemplateError(f"{head!r} is not a function")
        else:
            raise TemplateError(f"function {head!r} is not modelled")
    return None if result is _MISSING else result


_MISSING: Any = object()


def _split_pipes(action: str) -> list[str]:
    parts, current, quote = [], [], ""
    for ch in action:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
            current.append(ch)
        elif ch == "|":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return parts


def _words(command: str) -> list[str]:
    try:
        lexer = shlex.shlex(command.replace("`", '"'), posix=False)
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError as err:
        raise TemplateError(f"cannot parse {command!r}: {err}") from None


def _operand(word: str, params: Mapping[str, Any], missing_error: bool) -> Any:
    if word.startswith('"') and word.endswith('"') and len(word) >= 2:
        return bytes(word[1:-1], "utf-8").decode("unicode_escape")
    if re.fullmatch(r"-?\d+", word):
        return int(word)
    if word in {"true", "false"}:
        return word == "true"
    if word == ".":
        return dict(params)
    if word.startswith("."):
        current: Any = params
        for key in word[1:].split("."):
            if isinstance(current, Mapping) and key in current:
                current = current[key]
            elif missing_error:
                raise TemplateError(f"map has no entry for key {key!r} ({word})")
            else:
                return None
        return current
    if word in _FUNCTIONS:
        return _FUNCTIONS[word]()
    raise TemplateError(f"{word!r} is not modelled")


def _index(item: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(item, list) and isinstance(key, int):
            if not 0 <= key < len(item):
                raise TemplateError(f"index out of range: {key}")
            item = item[key]
        elif isinstance(item, Mapping):
            item = item.get(key)
        else:
            raise TemplateError(f"cannot index {type(item).__name__} with {key!r}")
    return item


def _empty(value: Any) -> bool:
    return value is None or value is False or value in ("", 0, [], {})


def _default(fallback: Any, value: Any = None) -> Any:
    return fallback if _empty(value) else value


def _text(value: Any) -> str:
    return "" if value is None else _to_text(value)


_FUNCTIONS: dict[str, Any] = {
    "index": _index,
    "default": _default,
    "lower": lambda s: _text(s).lower(),
    "upper": lambda s: _text(s).upper(),
    "trim": lambda s: _text(s).strip(),
    "trimPrefix": lambda p, s: _text(s).removeprefix(_text(p)),
    "trimSuffix": lambda p, s: _text(s).removesuffix(_text(p)),
    "replace": lambda old, new, s: _text(s).replace(_text(old), _text(new)),
    "quote": lambda s: '"' + _text(s) + '"',
    "toString": _text,
}
