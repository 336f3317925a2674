"""The Go `text/template` language as Argo CD ApplicationSets use it (`goTemplate: true`):
actions, `{{-`/`-}}` trimming, comments, variables, `if`/`else if`/`else`, `range` (lists, maps
in key order, integers, with `$i, $v :=`), `with`, parenthesised pipelines, and the functions of
`appset_functions` (Go's built-ins and the Sprig functions repositories use).

Values are decoded YAML/JSON: mappings, lists, strings, numbers, booleans; a missing key is
`None` (Go's invalid value: printed `<no value>`, false in a condition, nothing to range over)
unless `missingkey=error`, when it raises `TemplateError` as Go does. What is not modelled
(`define`, `template`, `block`, `break`, an unknown function) raises `TemplateError` too: the
caller says what it did not evaluate instead of guessing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archfit.manifests.sources.appset_functions import (
    FUNCTIONS,
    NotModelledError,
    TemplateError,
    to_text,
    truth,
)

__all__ = ["execute"]

_ACTION = re.compile(r"\{\{(-[ \t\r\n])?(.*?)([ \t\r\n]-)?\}\}", re.DOTALL)
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<raw>`[^`]*`)
    | (?P<char>'(?:[^'\\]|\\.)+')
    | (?P<decl>:=|=)
    | (?P<punct>[()|,])
    | (?P<word>[^\s()|,"`'=]+(?:\.[^\s()|,"`'=]+)*)
    )""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|0[xX][0-9a-fA-F]+)\Z")
_KEYWORDS = {
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
}


# --- parsing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Text:
    text: str


@dataclass(slots=True)
class _Pipe:
    """`$a, $b := cmd args | cmd …` (declaration optional)."""

    variables: tuple[str, ...]
    assign: bool  # `=` rather than `:=`
    commands: list[list[Any]]


@dataclass(slots=True)
class _Action:
    pipe: _Pipe


@dataclass(slots=True)
class _Block:
    keyword: str  # if, range, with
    pipe: _Pipe
    body: list[Any] = field(default_factory=list)
    otherwise: list[Any] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Field:
    """`.a.b` (base None: the dot), `$x.a.b` (base "$x"), or `(pipe).a` (base a `_Pipe`)."""

    base: Any
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Func:
    name: str


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise NotModelledError(f"cannot parse {text.strip()!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _string(token: str) -> str:
    try:
        value = json.loads(token)
    except ValueError:
        value = bytes(token[1:-1], "utf-8").decode("unicode_escape")
    return str(value)


class _PipeParser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def pipe(self, *, nested: bool = False) -> _Pipe:
        variables: list[str] = []
        assign = False
        start = self.pos
        while True:
            token = self.peek()
            if token is None or token[0] != "word" or not token[1].startswith("$"):
                break
            variables.append(token[1])
            self.pos += 1
            following = self.peek()
            if following == ("punct", ","):
                self.pos += 1
                continue
            if following is not None and following[0] == "decl":
                assign = following[1] == "="
                self.pos += 1
                break
            variables, self.pos = [], start
            break
        commands: list[list[Any]] = [[]]
        while (token := self.peek()) is not None:
            kind, value = token
            if kind == "punct" and value == ")":
                if not nested:
                    raise TemplateError("unexpected )")
                break
            self.pos += 1
            if kind == "punct" and value == "|":
                commands.append([])
            elif kind == "punct" and value == "(":
                inner = self.pipe(nested=True)
                if self.peek() != ("punct", ")"):
                    raise TemplateError("unclosed (")
                self.pos += 1
                commands[-1].append(self._chain(inner))
            elif kind in {"punct", "decl"}:
                raise TemplateError(f"unexpected {value!r}")
            else:
                commands[-1].append(self._operand(kind, value))
        if any(not c for c in commands) and (len(commands) > 1 or not variables):
            raise TemplateError("missing value in a pipeline")
        return _Pipe(tuple(variables), assign, commands)

    def _chain(self, inner: _Pipe) -> Any:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].startswith("."):
            self.pos += 1
            return _Field(inner, tuple(token[1][1:].split(".")))
        return inner

    def _operand(self, kind: str, value: str) -> Any:
        if kind == "str":
            return _string(value)
        if kind == "raw":
            return value[1:-1]
        if kind == "char":
            return ord(_string('"' + value[1:-1] + '"'))
        if value in {"true", "false"}:
            return value == "true"
        if value == "nil":
            return None
        if _NUMBER.match(value):
            try:
                if any(c in value for c in ".eE") and "x" not in value.lower():
                    return float(value)
                return int(value, 0)
            except ValueError:
                raise TemplateError(f"bad number syntax: {value!r}") from None
        if value == ".":
            return _Field(None, ())
        if value.startswith("."):
            return _Field(None, tuple(value[1:].split(".")))
        if value.startswith("$"):
            name, _, rest = value.partition(".")
            return _Field(name, tuple(rest.split(".")) if rest else ())
        if value in FUNCTIONS or value in {"and", "or"}:
            return _Func(value)
        raise NotModelledError(f"function {value!r} is not modelled")


@dataclass(slots=True)
class _Frame:
    """An open block while parsing: which branch nodes go to, and whether an `{{else if}}`
    opened it (closed by the same `{{end}}` as the block it continues)."""

    block: _Block
    body: list[Any]
    chained: bool = False


def _parse(text: str) -> list[Any]:
    root: list[Any] = []
    stack: list[_Frame] = []
    pos = 0
    trim_next = False

    def body() -> list[Any]:
        return stack[-1].body if stack else root

    for match in _ACTION.finditer(text):
        chunk = text[pos : match.start()]
        if trim_next:
            chunk = chunk.lstrip()
        if match.group(1):
            chunk = chunk.rstrip()
        if chunk:
            body().append(_Text(chunk))
        pos, trim_next = match.end(), bool(match.group(3))
        inner = match.group(2).strip()
        if inner.startswith("/*"):
            if not inner.endswith("*/"):
                raise TemplateError("unclosed comment")
            continue
        parts = inner.split(None, 1)
        word, rest = (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")
        if word in {"if", "range", "with"}:
            block = _Block(word, _PipeParser(rest).pipe())
            body().append(block)
            stack.append(_Frame(block, block.body))
        elif word == "else":
            if not stack or stack[-1].body is stack[-1].block.otherwise:
                raise TemplateError("unexpected {{else}}")
            frame = stack[-1]
            frame.body = frame.block.otherwise
            more = rest.split(None, 1)
            keyword, condition = (more[0], more[1] if len(more) > 1 else "") if more else ("", "")
            if keyword in {"if", "with"}:
                chained = _Block(keyword, _PipeParser(condition).pipe())
                frame.body.append(chained)
                stack.append(_Frame(chained, chained.body, chained=True))
        elif word == "end":
            if not stack:
                raise TemplateError("unexpected {{end}}")
            while stack.pop().chained:
                pass
        elif word in _KEYWORDS:
            raise NotModelledError(f"Go template action {word!r} is not modelled")
        elif not inner:
            raise TemplateError("missing value for command")
        else:
            body().append(_Action(_PipeParser(inner).pipe()))
    if stack:
        raise TemplateError(
            f"unexpected EOF: {{{{{stack[-1].block.keyword}}}}} without {{{{end}}}}"
        )
    chunk = text[pos:]
    if trim_next:
        chunk = chunk.lstrip()
    if chunk:
        root.append(_Text(chunk))
    return root


# --- execution -------------------------------------------------------------------------------


@dataclass(slots=True)
class _State:
    missing_error: bool
    variables: list[dict[str, Any]]
    out: list[str]

    def lookup(self, name: str) -> Any:
        for scope in reversed(self.variables):
            if name in scope:
                return scope[name]
        raise TemplateError(f"undefined variable {name!r}")

    def assign(self, name: str, value: Any) -> None:
        for scope in reversed(self.variables):
            if name in scope:
                scope[name] = value
                return
        raise TemplateError(f"undefined variable {name!r}")


def execute(text: str, params: Mapping[str, Any], *, missing_error: bool) -> str:
    """`text` rendered with `params` as the dot, as Go's `text/template` would."""
    state = _State(missing_error, [{"$": params}], [])
    _run(_parse(text), params, state)
    return "".join(state.out)


def _run(nodes: Sequence[Any], dot: Any, state: _State) -> None:
    for node in nodes:
        if isinstance(node, _Text):
            state.out.append(node.text)
        elif isinstance(node, _Action):
            value = _pipe(node.pipe, dot, state)
            if not node.pipe.variables:
                state.out.append(to_text(value))
        else:
            _block(node, dot, state)


def _block(node: _Block, dot: Any, state: _State) -> None:
    keyword = node.keyword
    state.variables.append({})
    try:
        if keyword == "range":
            _range(node, dot, state)
            return
        value = _pipe(node.pipe, dot, state)
        if truth(value):
            _run(node.body, value if keyword == "with" else dot, state)
        else:
            _run(node.otherwise, dot, state)
    finally:
        state.variables.pop()


def _range(node: _Block, dot: Any, state: _State) -> None:
    pipe = _Pipe((), False, node.pipe.commands)
    value = _pipe(pipe, dot, state)
    if isinstance(value, Mapping):
        items: list[tuple[Any, Any]] = [(k, value[k]) for k in sorted(value, key=str)]
    elif isinstance(value, list):
        items = list(enumerate(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [(i, i) for i in range(value)]
    elif value is None:
        items = []
    else:
        raise TemplateError(f"range can't iterate over {to_text(value)}")
    if not items:
        _run(node.otherwise, dot, state)
        return
    names = node.pipe.variables
    for key, item in items:
        scope = state.variables[-1]
        if len(names) == 1:
            scope[names[0]] = item
        elif len(names) == 2:
            scope[names[0]], scope[names[1]] = key, item
        _run(node.body, item, state)


def _pipe(pipe: _Pipe, dot: Any, state: _State) -> Any:
    result: Any = _NOTHING
    for command in pipe.commands:
        if not command:
            continue
        result = _command(command, dot, state, result)
    value = None if result is _NOTHING else result
    if pipe.variables:
        if pipe.assign:
            state.assign(pipe.variables[0], value)
        else:
            state.variables[-1][pipe.variables[-1]] = value
    return value


_NOTHING: Any = object()


def _command(command: list[Any], dot: Any, state: _State, piped: Any) -> Any:
    head, args = command[0], command[1:]
    if isinstance(head, _Func):
        if head.name in {"and", "or"}:
            return _logic(head.name, args, dot, state, piped)
        values = [_value(a, dot, state) for a in args]
        if piped is not _NOTHING:
            values.append(piped)
        function: Callable[..., Any] = FUNCTIONS[head.name]
        try:
            return function(*values)
        except TypeError as err:
            raise TemplateError(f"wrong number of arguments for {head.name}: {err}") from None
    if args or piped is not _NOTHING:
        raise TemplateError("can't give argument to non-function")
    return _value(head, dot, state)


def _logic(name: str, args: list[Any], dot: Any, state: _State, piped: Any) -> Any:
    """Go's `and`/`or`: the first false (true) argument, else the last; later ones unevaluated."""
    operands: list[Any] = list(args)
    if piped is not _NOTHING:
        operands.append(_Piped(piped))
    if not operands:
        raise TemplateError(f"wrong number of arguments for {name}")
    value: Any = None
    for operand in operands:
        value = operand.value if isinstance(operand, _Piped) else _value(operand, dot, state)
        if truth(value) is (name == "or"):
            return value
    return value


@dataclass(frozen=True, slots=True)
class _Piped:
    """A value piped into `and`/`or`: already evaluated."""

    value: Any


def _value(operand: Any, dot: Any, state: _State) -> Any:
    if isinstance(operand, _Field):
        if operand.base is None:
            current = dot
        elif isinstance(operand.base, _Pipe):
            current = _pipe(operand.base, dot, state)
        else:
            current = state.lookup(operand.base)
        for name in operand.names:
            current = _field(current, name, state.missing_error)
        return current
    if isinstance(operand, _Pipe):
        return _pipe(operand, dot, state)
    if isinstance(operand, _Func):
        return _command([operand], dot, state, _NOTHING)
    return operand


def _field(current: Any, name: str, missing_error: bool) -> Any:
    if current is None:
        if missing_error:
            raise TemplateError(f"nil data; no entry for key {name!r}")
        return None
    if isinstance(current, Mapping):
        if name in current:
            return current[name]
        if missing_error:
            raise TemplateError(f"map has no entry for key {name!r}")
        return None
    raise TemplateError(f"can't evaluate field {name} in {type(current).__name__}")
