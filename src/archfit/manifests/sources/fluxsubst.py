"""Flux post-build substitution applied to the objects one Flux Kustomization builds.

kustomize-controller substitutes each built object's YAML text (as `kustomize build` prints
it), unless the object is labelled or annotated `kustomize.toolkit.fluxcd.io/substitute:
disabled`, and decodes the result; so a substituted `8080` is a number, also where the file
wrote `"${PORT}"` (Kustomize prints that without quotes). archfit does the same on the text
Kustomize printed for a rendered object, else on the object printed as Kustomize prints it
(PyYAML, quoting only what needs it).

A file that is not valid YAML as written is never valid to Flux as a resource: Kustomize, or
Flux's own generated kustomization (`rf.SliceFromBytes` in `kustomize_generator.go`), fails to
decode it before anything is substituted. Only a generator's input (a values file a
`configMapGenerator` embeds as text) reaches substitution unparsed, inside its ConfigMap; such
a file is re-read substituted, and its first read's `invalid-yaml` replaced by what that finds.

Pure: file contents come through the `FileTree` protocol.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from archfit.manifests.documents import Document, ReadResult, read_text
from archfit.manifests.sources._common import without_origin
from archfit.manifests.sources.envsubst import Expansion, SubstitutionError, expand
from archfit.manifests.sources.fluxvars import Variables
from archfit.manifests.sources.interface import FileTree
from archfit.model.finding import Finding
from archfit.model.workload import SourceRef

__all__ = ["DISABLED", "Substitution", "TextCache", "generator_inputs"]

DISABLED = "kustomize.toolkit.fluxcd.io/substitute"
DISABLED_VALUE = "disabled"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[misc]
    """PyYAML's safe dumper with multi-line strings as literal blocks, as Kustomize prints
    them (a substituted value then needs no escaping)."""


def _represent_str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _holds_dollar(value: Any) -> bool:
    if isinstance(value, str):
        return "$" in value
    if isinstance(value, Mapping):
        return any(_holds_dollar(k) or _holds_dollar(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_dollar(v) for v in value)
    return False


class TextCache:
    """File texts read once per run (several Kustomizations may build one file)."""

    def __init__(self, files: FileTree) -> None:
        self._files = files
        self._texts: dict[str, str | None] = {}

    def text(self, file: str) -> str | None:
        if file not in self._texts:
            self._texts[file] = self._files.read_text(Path(file))
        return self._texts[file]


def disabled(doc: Document) -> bool:
    meta = doc.metadata
    return DISABLED_VALUE in (
        _map(meta.get("labels")).get(DISABLED),
        _map(meta.get("annotations")).get(DISABLED),
    )


def _paths(entries: Any) -> list[str]:
    return (
        [e.split("=", 1)[-1] for e in entries if isinstance(e, str)]
        if isinstance(entries, list)
        else []
    )


def _marked(options: Mapping[str, Any]) -> bool:
    """Whether generator options give the generated object `substitute: disabled`."""
    marks = (_map(options.get("labels")), _map(options.get("annotations")))
    return any(m.get(DISABLED) == DISABLED_VALUE for m in marks)


def generator_inputs(kustomizations: Sequence[Document], directories: Sequence[str]) -> list[str]:
    """The files the `configMapGenerator`/`secretGenerator` entries of the `kustomizations`
    below `directories` embed (`files`, `envs`, `env`), unless the generated object is marked
    `substitute: disabled`; normalised paths, in order."""
    roots = [os.path.normpath(d) for d in directories]
    out: list[str] = []
    for doc in kustomizations:
        home = os.path.dirname(os.path.normpath(doc.source.file))
        if not any(home == r or home.startswith(r + os.sep) for r in roots):
            continue
        shared = _map(doc.body.get("generatorOptions"))
        for key in ("configMapGenerator", "secretGenerator"):
            entries = doc.body.get(key)
            for entry in entries if isinstance(entries, list) else []:
                gen = _map(entry)
                if _marked(shared) or _marked(_map(gen.get("options"))):
                    continue
                env = [gen["env"]] if isinstance(gen.get("env"), str) else []
                for rel in [*_paths(gen.get("files")), *_paths(gen.get("envs")), *env]:
                    path = os.path.normpath(os.path.join(home, rel.strip()))
                    if path not in out:
                        out.append(path)
    return out


@dataclass(slots=True)
class Substitution:
    """The substitution of one Flux Kustomization (`label`) with its `variables`, and what it
    met: variables not known here, variables not set, and where Flux would fail."""

    variables: Variables
    label: str
    cache: TextCache
    unknown: dict[str, str] = field(default_factory=dict)
    unset: dict[str, str] = field(default_factory=dict)
    unmodelled: set[str] = field(default_factory=set)
    failed: str = ""
    findings: list[Finding] = field(default_factory=list)

    @staticmethod
    def _text_of(doc: Document) -> str:
        """The YAML text Flux substitutes for `doc`: the text Kustomize printed for it, else
        the object printed the way Kustomize prints it (quotes only where a string needs
        them: Flux's input comes from `kustomize build`, which drops the quotes of
        `"${PORT}"`, so `8080` then decodes as a number; fluxcd/flux2#1839)."""
        if doc.text:
            return doc.text
        if not _holds_dollar(doc.body):
            return ""
        return yaml.dump(dict(doc.body), Dumper=_Dumper, sort_keys=False, allow_unicode=True)

    def expand(self, text: str, where: SourceRef, base_line: int | None) -> Expansion | None:
        """`text` substituted, recording what was met; None where Flux would fail."""
        try:
            result = expand(text, self.variables.lookup)
        except SubstitutionError as err:
            line = where.line if base_line is None else text.count("\n", 0, err.offset) + 1
            if not self.failed:
                self.failed = f"{where.file}:{line}: {err}"
            return None
        for name in sorted(result.unknown):
            self.unknown.setdefault(name, str(where))
        self.unmodelled.update(result.unmodelled)
        for name in sorted(result.unset):
            self.unset.setdefault(name, str(where))
        return result

    def document(self, doc: Document) -> Mapping[str, Any] | None:
        """The body of `doc` after substitution, or None when it does not change (disabled,
        no variables, a failure: then a finding is recorded)."""
        if disabled(doc):
            return None
        text = self._text_of(doc)
        if "$" not in text:
            return None
        result = self.expand(text, doc.source, None)
        if result is None or result.text == text:
            return None
        read = read_text(result.text, doc.source.file)
        if read.problems:
            self._invalid(read, doc.source)
            return None
        docs = read.documents
        if not docs:
            return None
        body = next((d.body for d in docs if d.source.line == doc.source.line), docs[0].body)
        return without_origin(body)[0] if doc.text else body

    @staticmethod
    def invalid_as_written(cache: TextCache, file: str) -> bool:
        """Whether `file` holds a `$` and is not valid YAML as written."""
        text = cache.text(file)
        if text is None or "$" not in text:
            return False
        return any(p.id == "invalid-yaml" for p in read_text(text, file).problems)

    def file(self, file: str) -> ReadResult | None:
        """A file that is not valid YAML as written, re-read substituted; None where Flux
        would fail to substitute it (recorded) or it cannot be read."""
        text = self.cache.text(file)
        if text is None:
            return None
        result = self.expand(text, SourceRef(file, 1), 1)
        if result is None:
            return None
        read = read_text(result.text, file)
        self._invalid(read, None)
        return read

    def _invalid(self, read: ReadResult, at: SourceRef | None) -> None:
        """The problems of substituted text, as findings at the file's own lines (or at `at`,
        the object's start, when the text was a renderer's)."""
        for problem in read.problems:
            ref = problem.source or SourceRef(problem.subject or "", 0)
            line = at.line if at is not None else ref.line
            where = SourceRef(ref.file, line, self.label)
            detail = problem.message.split(": ", 1)[-1]
            self.findings.append(
                Finding(
                    id="invalid-yaml",
                    severity="error",
                    message=f"{ref.file}:{line}: {detail} (after the substitution of {self.label})",
                    subject=ref.file,
                    source=where,
                    hint="fix the YAML at that line; Flux fails to apply text it cannot decode",
                    rule="manifests",
                )
            )

    def _why_unknown(self) -> str:
        parts = [self.variables.why_unknown()] if self.variables.why_unknown() else []
        if self.unmodelled:
            names = ", ".join(sorted(self.unmodelled))
            parts.append(f"archfit does not model substring, trim and replace forms ({names})")
        return "; ".join(parts)

    def report(self, ks: Document) -> list[Finding]:
        """The findings of this Kustomization's substitution, each said once."""
        out = list(self.findings)
        where = SourceRef(ks.source.file, ks.source.line, self.label)
        if self.variables.invalid or self.failed:
            why = (
                f"variable names {', '.join(self.variables.invalid)} do not match "
                "^[_[:alpha:]][_[:alpha:][:digit:]]*$"
                if self.variables.invalid
                else self.failed
            )
            out.append(
                Finding(
                    id="bad-substitution",
                    severity="error",
                    message=f"{self.label}: Flux fails this build: {why}",
                    subject=ks.source.file,
                    source=where,
                    hint="escape a literal `${` as `$${`, or annotate the object "
                    "kustomize.toolkit.fluxcd.io/substitute: disabled; rename bad variables",
                    rule="manifests",
                )
            )
        if self.unknown:
            names = ", ".join(f"${{{n}}} ({w})" for n, w in sorted(self.unknown.items()))
            out.append(
                Finding(
                    id="unresolved-variable",
                    severity="warning",
                    message=f"{self.label}: no value readable here for {names}: "
                    f"{self._why_unknown()}; kept as written",
                    subject=ks.source.file,
                    source=where,
                    hint="objects using them are judged with the `${...}` text; give the "
                    "values in spec.postBuild.substitute or a plain ConfigMap to check them",
                    rule="manifests",
                    details={"variables": sorted(self.unknown)},
                )
            )
        if self.unset:
            names = ", ".join(f"${{{n}}} ({w})" for n, w in sorted(self.unset.items()))
            out.append(
                Finding(
                    id="unresolved-variable",
                    severity="warning",
                    message=f"{self.label}: {names} set by no substitute or substituteFrom "
                    "entry and without a default: with strict substitution (the "
                    "StrictPostBuildSubstitutions feature gate) Flux fails this build, without "
                    "it Flux substitutes an empty string, as archfit does here",
                    subject=ks.source.file,
                    source=where,
                    hint="set the variable, give a default as ${NAME:=value}, or write a "
                    "literal as $${NAME}",
                    rule="manifests",
                    details={"variables": sorted(self.unset)},
                )
            )
        return out
