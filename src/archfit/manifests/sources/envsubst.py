"""Flux post-build substitution of one text: github.com/drone/envsubst, as kustomize-controller
runs it (`fluxcd/pkg/kustomize/kustomize_varsub.go`: `envsubst.Eval(yaml, func(s) vars[s])`).

Pure: text and a lookup in, text out. What drone/envsubst does, and so what this does:
- only `${…}` is an expression; `$VAR` without braces is text;
- outside an expression `$$` is one `$` (so `$${VAR}` is the text `${VAR}`), and `\\\\` and `\\/`
  are `\\` and `/`;
- a name is letters, digits, `_` and `-` (`${A-b}` is the variable `A-b`, which Flux's
  names can never be, so it is empty);
- `${V}` is the value, empty when unset; `${V=d}`, `${V:=d}`, `${V:-d}`, `${V:?d}` and
  `${V:+d}` are all the value, or `d` when the value is empty (drone's `toDefault`); only the
  default's first part counts (`${A:=x${B}}` gives `x`);
- `${#V}` is the value's length; `${V^}`, `${V^^}`, `${V,}`, `${V,,}` change case;
- anything else that starts with `${` and is not one of drone's forms is "bad substitution",
  which makes Flux reject the whole Kustomization.

archfit adds one state drone does not have: a variable whose value exists but is not known
here (a SOPS-encrypted Secret, a ConfigMap created in the cluster). An expression that needs
it is kept exactly as written and its name reported, so that nothing is invented. Substring,
trim and replace forms (`${V:1:2}`, `${V#x}`, `${V/a/b}`) are parsed as drone does but their
value is treated as not known here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["NAME", "UNKNOWN", "Expansion", "SubstitutionError", "Unknown", "expand"]

# kustomize-controller refuses variables whose names do not match this (Go's [:alpha:] is ASCII).
NAME = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*$")


class Unknown:
    """The lookup's answer for a variable whose value exists but cannot be read here."""

    __slots__ = ()


UNKNOWN = Unknown()
_SPECIAL = re.compile(r"[$\\]")


class SubstitutionError(ValueError):
    """The text holds a `${` that drone/envsubst cannot parse; `offset` is where it starts."""

    def __init__(self, offset: int, expression: str) -> None:
        super().__init__(f"bad substitution: {expression!r}")
        self.offset = offset
        self.expression = expression


@dataclass(slots=True)
class Expansion:
    """The text after substitution, the variables it used, those whose value is not known
    here (their expressions are kept as written; `unmodelled` those used in a substring, trim
    or replace form) and those not set that an expression without a default needed."""

    text: str
    used: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    unset: set[str] = field(default_factory=set)
    unmodelled: set[str] = field(default_factory=set)


Lookup = Callable[[str], "str | Unknown | None"]


def _is_ident(ch: str) -> bool:
    return ch.isalpha() or ch.isdecimal() or ch in "_-"


class _Parser:
    def __init__(self, text: str, lookup: Lookup) -> None:
        self.text = text
        self.lookup = lookup
        self.out = Expansion("")

    def run(self) -> Expansion:
        text, n = self.text, len(self.text)
        parts: list[str] = []
        i = 0
        while i < n:
            special = _SPECIAL.search(text, i)
            stop = special.start() if special is not None else n
            parts.append(text[i:stop])
            i = stop
            if i >= n:
                break
            ch = text[i]
            nxt = text[i + 1] if i + 1 < n else ""
            if ch == "\\":
                if nxt in ("/", "\\"):
                    parts.append(nxt)
                    i += 2
                else:
                    parts.append(ch)
                    i += 1
            elif nxt == "{":
                value, i, _ = self._expression(i)
                parts.append(value)
            elif nxt == "$":
                parts.append("$")
                i += 2
            else:
                parts.append("$")
                i += 1
        self.out.text = "".join(parts)
        return self.out

    def _bad(self, start: int) -> SubstitutionError:
        end = self.text.find("}", start)
        return SubstitutionError(start, self.text[start : end + 1 if end >= 0 else start + 2])

    def _name(self, i: int) -> int:
        n = len(self.text)
        while i < n and _is_ident(self.text[i]):
            i += 1
        return i

    def _value(self, name: str) -> str | Unknown:
        self.out.used.add(name)
        found = self.lookup(name)
        if isinstance(found, Unknown):
            self.out.unknown.add(name)
            return found
        return found or ""

    def _expression(self, start: int) -> tuple[str, int, bool]:
        """The value of the expression at `start` (`${`), the offset after it and whether its
        value is not known here (then the value is the expression as written)."""
        text = self.text
        i = start + 2
        if text.startswith("#", i):  # ${#V}
            end = self._name(i + 1)
            if end == i + 1 or not text.startswith("}", end):
                raise self._bad(start)
            value = self._value(text[i + 1 : end])
            return self._keep(start, end + 1, value, lambda v: str(len(v)))
        end = self._name(i)
        if end == i:
            raise self._bad(start)
        name = text[i:end]
        op = text[end : end + 1]
        if op == "}":
            value = self._value(name)
            if self.lookup(name) is None:
                self.out.unset.add(name)
            return self._keep(start, end + 1, value, lambda v: v)
        if op == "=" or (op == ":" and text[end + 1 : end + 2] in ("=", "-", "?", "+")):
            return self._default(start, name, end + (1 if op == "=" else 2))
        if op in (",", "^"):
            j = end
            while j < len(text) and j - end < 2 and text[j] == op:
                j += 1
            if not text.startswith("}", j):
                raise self._bad(start)
            casing = {
                ",": lambda v: v[:1].lower() + v[1:],
                ",,": str.lower,
                "^": lambda v: v[:1].upper() + v[1:],
                "^^": str.upper,
            }[text[end:j]]
            return self._keep(start, j + 1, self._value(name), casing)
        if op in (":", "/", "#", "%"):
            # Substring, trim and replace: parsed, but their value is not modelled here.
            close = self._close(start, end)
            self._value(name)
            self.out.unknown.add(name)
            self.out.unmodelled.add(name)
            return text[start:close], close, True
        raise self._bad(start)

    def _default(self, start: int, name: str, i: int) -> tuple[str, int, bool]:
        """`${V=d}` and the `${V:…d}` forms: the value, or the first part of `d` when empty."""
        text = self.text
        args: list[str | Unknown] = []
        while True:
            if i >= len(text):
                raise self._bad(start)
            if text[i] == "}":
                break
            if text.startswith("${", i):
                value, i, unknown = self._expression(i)
                args.append(UNKNOWN if unknown else value)
                continue
            j = i
            while j < len(text) and text[j] != "}" and not text.startswith("${", j):
                j += 1
            args.append(text[i:j])
            i = j
        end = i + 1
        current = self._value(name)
        if isinstance(current, Unknown):
            return text[start:end], end, True
        if current:
            return current, end, False
        first = args[0] if args else ""
        if isinstance(first, Unknown):
            return text[start:end], end, True
        return first, end, False

    def _close(self, start: int, i: int) -> int:
        depth = 1
        while i < len(self.text):
            if self.text.startswith("${", i):
                depth += 1
                i += 2
                continue
            if self.text[i] == "}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise self._bad(start)

    def _keep(
        self, start: int, end: int, value: str | Unknown, fn: Callable[[str], str]
    ) -> tuple[str, int, bool]:
        if isinstance(value, Unknown):
            return self.text[start:end], end, True
        return fn(value), end, False


def expand(text: str, lookup: Lookup) -> Expansion:
    """`text` with Flux's substitution applied; `lookup` gives a variable's value, None when
    it is not set (empty, as in Flux) or `UNKNOWN` when it is set but cannot be read here.
    Raises `SubstitutionError` where Flux would fail."""
    if "$" not in text and "\\" not in text:
        return Expansion(text)
    return _Parser(text, lookup).run()
