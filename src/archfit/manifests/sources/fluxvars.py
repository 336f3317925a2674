"""The variables of a Flux Kustomization's post-build substitution, read from the repository.

What kustomize-controller does (`fluxcd/pkg/kustomize/kustomize_varsub.go`, `loadVars` and
`SubstituteVariables`), and so what this does:
- `spec.postBuild.substituteFrom` entries are read in order, each ConfigMap's `data` or
  Secret's (decoded) `data` adding its keys, a later entry overriding an earlier one; they are
  looked up in the Kustomization's own namespace (not its `targetNamespace`);
- `spec.postBuild.substitute` is read last and overrides them all;
- every value has its newlines removed;
- every name must match `^[_[:alpha:]][_[:alpha:][:digit:]]*$`, or Flux fails the build;
- with no variable at all nothing is substituted (`if len(vars) > 0`).

A Secret's `stringData` counts as its `data` (the API server merges it on write). What the
repository cannot tell is kept apart, never guessed: a SOPS-encrypted value (`ENC[…]`) is a
variable whose value is not known here, and an entry whose object is not in the repository
(made in the cluster, by External Secrets, or `optional` and maybe absent) may hold any
variable, so no variable is known to be unset.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from archfit.manifests.documents import Document
from archfit.manifests.sources._common import Namespaces
from archfit.manifests.sources.envsubst import NAME, UNKNOWN, Unknown

__all__ = ["Variables", "read_variables"]


@dataclass(frozen=True, slots=True)
class Variables:
    """`values` known here; `unknown` names set to a value that cannot be read; `open` the
    entries not found here (any variable may come from them); `invalid` names Flux refuses."""

    values: Mapping[str, str]
    unknown: frozenset[str] = frozenset()
    open: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """Whether Flux substitutes at all (it does only when it has a variable)."""
        return bool(self.values or self.unknown or self.open)

    def lookup(self, name: str) -> str | Unknown | None:
        if name in self.values:
            return self.values[name]
        if name in self.unknown or self.open:
            return UNKNOWN
        return None

    def why_unknown(self) -> str:
        """Why some values are not known here, for a finding."""
        parts = list(self.unreadable)
        parts += [f"{o} is not in the repository" for o in self.open]
        return "; ".join(parts)


def _map(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# Values that stand for a secret a tool fills in before or after applying: SOPS ciphertext,
# 1Password references (`op inject`), vals references and argocd-vault-plugin placeholders.
_PLACEHOLDER = re.compile(r"^(?:ENC\[.*\]|op://\S+|ref\+[a-z0-9]+://\S+|<path:[^>]+>)$", re.DOTALL)


def _sealed(value: str) -> bool:
    return bool(_PLACEHOLDER.match(value.strip()))


def _secret_values(doc: Document) -> tuple[dict[str, str], set[str]]:
    """A Secret's readable values and the names whose values are encrypted or undecodable."""
    values: dict[str, str] = {}
    unknown: set[str] = set()
    for key, value in _map(doc.body.get("data")).items():
        text = _text(value)
        if _sealed(text):
            unknown.add(str(key))
            continue
        try:
            values[str(key)] = base64.b64decode(text, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            unknown.add(str(key))
    for key, value in _map(doc.body.get("stringData")).items():
        text = _text(value)
        if _sealed(text):
            unknown.add(str(key))
            values.pop(str(key), None)
        else:
            values[str(key)] = text
            unknown.discard(str(key))
    return values, unknown


def _common_prefix(a: str, b: str) -> int:
    return len(os.path.commonpath([os.path.abspath(a), os.path.abspath(b)]))


def _find(
    ref: tuple[str, str, str], ks: Document, candidates: Sequence[Document], namespaces: Namespaces
) -> Document | None:
    """The object an entry names; of several in the repository (one per cluster), the one
    nearest the Kustomization's own file."""
    kind, namespace, name = ref
    found = [
        d
        for d in candidates
        if d.kind == kind and d.group == "" and d.name == name and namespaces.of(d) == namespace
    ]
    if not found:
        return None
    return max(found, key=lambda d: _common_prefix(d.source.file, ks.source.file))


def read_variables(
    ks: Document, documents: Sequence[Document], namespaces: Namespaces
) -> Variables:
    """The variables Flux would substitute for the Kustomization `ks`, from the documents."""
    post = _map(_map(ks.body.get("spec")).get("postBuild"))
    namespace = namespaces.of(ks)
    values: dict[str, str] = {}
    unknown: set[str] = set()
    missing: list[str] = []
    unreadable: list[str] = []
    objects = [d for d in documents if d.kind in ("ConfigMap", "Secret") and d.group == ""]
    entries = post.get("substituteFrom")
    for entry in entries if isinstance(entries, list) else []:
        ref = _map(entry)
        kind, name = _text(ref.get("kind")), _text(ref.get("name"))
        if kind not in ("ConfigMap", "Secret") or not name:
            continue
        doc = _find((kind, namespace, name), ks, objects, namespaces)
        label = f"{kind} {namespace}/{name}"
        if doc is None:
            missing.append(label)
            continue
        if kind == "ConfigMap":
            raw = {str(k): _text(v) for k, v in _map(doc.body.get("data")).items()}
            found = {k: v for k, v in raw.items() if not _sealed(v)}
            hidden = set(raw) - set(found)
        else:
            found, hidden = _secret_values(doc)
        if hidden:
            how = (
                "is SOPS-encrypted"
                if "sops" in doc.body
                else "holds references a secret manager fills in, or values not base64 text"
            )
            unreadable.append(f"{label} {how}")
        for key, value in found.items():
            values[key] = value.replace("\n", "")
            unknown.discard(key)
        for key in hidden:
            values.pop(key, None)
            unknown.add(key)
    for key, inline in _map(post.get("substitute")).items():
        values[str(key)] = _text(inline).replace("\n", "")
        unknown.discard(str(key))
    names = [*values, *unknown]
    return Variables(
        values=values,
        unknown=frozenset(unknown),
        open=tuple(missing),
        unreadable=tuple(unreadable),
        invalid=tuple(sorted(n for n in names if not NAME.match(n))),
    )
