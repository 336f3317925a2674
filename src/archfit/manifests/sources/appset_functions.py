"""The functions an Argo CD Go template may call, as Argo CD provides them: Go's built-ins
(`and`, `or`, `not`, `eq`…`ge`, `len`, `index`, `print`, `printf`), the Sprig functions
repositories use (`default`, `empty`, `ternary`, string helpers, `list`, `dict`, `toJson`,
`indent`, …) and Argo CD's own `normalize`, `toYaml`, `fromYaml`. `and`/`or` are evaluated by
the executor (their arguments lazily, as Go does).

Values printed as Go prints them (`to_text`): `<no value>` for a missing key, `true`/`false`,
`[a b]` for a list, `map[k:v]` for a mapping (keys in order).
"""

from __future__ import annotations

import base64
import json
import posixpath
import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

__all__ = ["FUNCTIONS", "NotModelledError", "TemplateError", "normalized", "to_text", "truth"]

_INVALID_DNS = re.compile(r"[^-a-z0-9.]")


class TemplateError(Exception):
    """A template that does not render: Argo CD fails on it too (a missing key with
    `missingkey=error`, a patch that is not YAML), or archfit does not model it
    (`NotModelledError`)."""


class NotModelledError(TemplateError):
    """A construct archfit does not evaluate (`define`, an unknown function): Argo CD may well
    render it, so the caller says what it left out rather than report an error."""


def normalized(name: str) -> str:
    """Argo CD's `SanitizeName` (the `normalize` function, `nameNormalized`): lower case,
    characters outside `[-a-z0-9.]` become `-`, at most 253 characters, `-` and `.` trimmed
    from both ends."""
    return _INVALID_DNS.sub("-", name.lower())[:253].strip("-.")


def to_text(value: Any) -> str:
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, list):
        return "[" + " ".join(to_text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{to_text(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


def truth(value: Any) -> bool:
    """Go's truth: false, 0, nil and empty strings, lists and maps are false."""
    if value is None or value is False:
        return False
    if isinstance(value, int | float | str | list | Mapping):
        return bool(value)
    return True


def _text(value: Any) -> str:
    """Sprig's `strval`: nil is the empty string, the rest as Go prints it."""
    return "" if value is None else to_text(value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "invalid"
    raise TemplateError(f"can't compare {to_text(value)}: non-comparable type")


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise TemplateError("missing argument for comparison")
    for other in others:
        kinds = {_kind(first), _kind(other)}
        if len(kinds) == 2:
            if "invalid" not in kinds:
                raise TemplateError("incompatible types for comparison")
        elif first == other and kinds != {"invalid"}:
            return True
    return False


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        kinds = {_kind(left), _kind(right)}
        if len(kinds) != 1 or kinds & {"invalid", "bool"}:
            raise TemplateError("incompatible types for comparison")
        return op(left, right)

    return compare


def _length(value: Any) -> int:
    if isinstance(value, str | list | Mapping):
        return len(value)
    raise TemplateError(f"len of type {type(value).__name__}")


def _index(item: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(item, list) and isinstance(key, int) and not isinstance(key, bool):
            if not 0 <= key < len(item):
                raise TemplateError(f"index out of range: {key}")
            item = item[key]
        elif isinstance(item, Mapping):
            item = item.get(key)
        elif item is None:
            raise TemplateError("index of untyped nil")
        else:
            raise TemplateError(f"can't index item of type {type(item).__name__}")
    return item


def _empty(value: Any) -> bool:
    return not truth(value)


_VERB = re.compile(r"%([-+# 0]*)(\d*)(?:\.(\d+))?([a-zA-Z%])")


def _printf(fmt: str, *args: Any) -> str:
    remaining = list(args)

    def one(match: re.Match[str]) -> str:
        flags, width, precision, verb = match.groups()
        if verb == "%":
            return "%"
        if not remaining:
            return f"%!{verb}(MISSING)"
        arg = remaining.pop(0)
        if verb in "vs":
            text = to_text(arg)
        elif verb == "q":
            text = json.dumps(_text(arg), ensure_ascii=False)
        elif verb == "d" and isinstance(arg, int) and not isinstance(arg, bool):
            text = str(arg)
        elif verb == "f" and isinstance(arg, int | float) and not isinstance(arg, bool):
            text = f"{float(arg):.{precision or 6}f}"
        elif verb == "t" and isinstance(arg, bool):
            text = to_text(arg)
        else:
            raise NotModelledError(f"printf verb %{verb} with {to_text(arg)} is not modelled")
        pad = int(width) if width else 0
        return text.ljust(pad) if "-" in flags else text.rjust(pad, "0" if "0" in flags else " ")

    out = _VERB.sub(one, fmt)
    if remaining:
        out += "%!(EXTRA " + ", ".join(to_text(a) for a in remaining) + ")"
    return out


def _print(*args: Any) -> str:
    # Go's fmt.Sprint: a space between operands when neither is a string.
    out = ""
    for i, arg in enumerate(args):
        if i and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out += " "
        out += to_text(arg)
    return out


def _indent(width: int, text: Any) -> str:
    pad = " " * width
    return pad + _text(text).replace("\n", "\n" + pad)


def _to_yaml(value: Any) -> str:
    if value is None:
        return "null"
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=True).removesuffix("\n")


def _from_yaml(text: Any) -> Any:
    try:
        data = yaml.safe_load(_text(text))
    except yaml.YAMLError as err:
        raise TemplateError(f"fromYaml: {err}") from None
    return data if isinstance(data, Mapping) else {}


def _dict(*pairs: Any) -> dict[str, Any]:
    values = list(pairs)
    if len(values) % 2:
        values.append("")
    return {_text(values[i]): values[i + 1] for i in range(0, len(values), 2)}


def _go_regex(pattern: Any) -> re.Pattern[str]:
    try:
        return re.compile(_text(pattern))
    except re.error as err:
        raise TemplateError(f"regular expression {pattern!r}: {err}") from None


def _regex_replace(pattern: Any, text: Any, replacement: Any) -> str:
    # Go's `$1`/`${name}` become Python's `\g<1>`/`\g<name>`.
    python = re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", _text(replacement).replace("\\", "\\\\"))
    try:
        return _go_regex(pattern).sub(python, _text(text))
    except (re.error, IndexError) as err:
        raise NotModelledError(f"regexReplaceAll replacement {replacement!r}: {err}") from None


def _quote(*args: Any) -> str:
    return " ".join(json.dumps(_text(v), ensure_ascii=False) for v in args if v is not None)


def _ternary(if_true: Any, if_false: Any, condition: Any) -> Any:
    return if_true if truth(condition) else if_false


def _b64dec(text: Any) -> str:
    try:
        return base64.b64decode(_text(text), validate=True).decode("utf-8")
    except ValueError as err:
        raise TemplateError(f"b64dec: {err}") from None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # Go built-ins
    "not": lambda v: not truth(v),
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "lt": _ordered(lambda a, b: a < b),
    "le": _ordered(lambda a, b: a <= b),
    "gt": _ordered(lambda a, b: a > b),
    "ge": _ordered(lambda a, b: a >= b),
    "len": _length,
    "index": _index,
    "print": _print,
    "printf": _printf,
    "println": lambda *a: " ".join(to_text(v) for v in a) + "\n",
    # Sprig
    "default": lambda fallback, value=None: fallback if _empty(value) else value,
    "empty": _empty,
    "coalesce": lambda *a: next((v for v in a if truth(v)), None),
    "ternary": _ternary,
    "lower": lambda s: _text(s).lower(),
    "upper": lambda s: _text(s).upper(),
    "title": lambda s: re.sub(r"\b[a-z]", lambda m: m.group(0).upper(), _text(s)),
    "trim": lambda s: _text(s).strip(),
    "trimPrefix": lambda p, s: _text(s).removeprefix(_text(p)),
    "trimSuffix": lambda p, s: _text(s).removesuffix(_text(p)),
    "trimAll": lambda c, s: _text(s).strip(_text(c)),
    "replace": lambda old, new, s: _text(s).replace(_text(old), _text(new)),
    "quote": lambda *a: " ".join(
        json.dumps(_text(v), ensure_ascii=False) for v in a if v is not None
    ),
    "squote": lambda *a: " ".join(f"'{_text(v)}'" for v in a if v is not None),
    "toString": _text,
    "contains": lambda sub, s: _text(sub) in _text(s),
    "hasPrefix": lambda p, s: _text(s).startswith(_text(p)),
    "hasSuffix": lambda p, s: _text(s).endswith(_text(p)),
    "splitList": lambda sep, s: _text(s).split(_text(sep)),
    "join": lambda sep, items: _text(sep).join(_text(i) for i in (items or [])),
    "list": lambda *a: list(a),
    "dict": _dict,
    "hasKey": lambda d, k: isinstance(d, Mapping) and _text(k) in d,
    "has": lambda needle, items: isinstance(items, list) and needle in items,
    "first": lambda items: items[0] if isinstance(items, list) and items else None,
    "last": lambda items: items[-1] if isinstance(items, list) and items else None,
    "toJson": lambda v: json.dumps(v, separators=(",", ":"), sort_keys=True),
    "indent": _indent,
    "nindent": lambda width, text: "\n" + _indent(width, text),
    "b64enc": lambda s: base64.b64encode(_text(s).encode()).decode(),
    "b64dec": _b64dec,
    "base": lambda s: posixpath.basename(_text(s).rstrip("/")) or ".",
    "dir": lambda s: posixpath.dirname(_text(s)) or ".",
    "regexMatch": lambda pattern, s: _go_regex(pattern).search(_text(s)) is not None,
    "regexReplaceAll": _regex_replace,
    # Argo CD's own
    "normalize": lambda s: normalized(_text(s)),
    "toYaml": _to_yaml,
    "fromYaml": _from_yaml,
}
