"""The shape of a `kustomization.yaml`, checked before the Kustomize source walks it.

A field of the wrong type (`patches: 5`, `configMapGenerator: 3`) makes `kustomize build` fail
for the whole overlay, so it is an input error (exit 2, naming the file and the field) rather
than a finding: nothing below that overlay can be read as the cluster would see it. Problems
`kustomize build` reports for one entry (`resources: [missing.yaml]`) or that only change where
objects land (`namespace: [a]`) are findings, and the rest of the tree is still read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from archfit.errors import InputError
from archfit.manifests.documents import Document
from archfit.manifests.sources.interface import FileTree
from archfit.model.finding import Finding

__all__ = ["INVALID_KUSTOMIZATION", "kustomization_findings", "require_shape"]

INVALID_KUSTOMIZATION = "invalid-kustomization"

# Field → what kustomize's Kustomization type declares for it (api/types/kustomization.go).
_LISTS = (
    "resources",
    "bases",
    "components",
    "crds",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "replacements",
    "images",
    "replicas",
    "configMapGenerator",
    "secretGenerator",
    "helmCharts",
    "generators",
    "transformers",
    "validators",
    "labels",
    "vars",
)
_MAPPINGS = ("commonLabels", "commonAnnotations", "generatorOptions", "helmGlobals")
_STRINGS = ("namePrefix", "nameSuffix")


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


def _where(doc: Document) -> str:
    return f"{doc.source.file}:{doc.source.line}" if doc.source.line else doc.source.file


def require_shape(doc: Document) -> None:
    """Raise `InputError` naming the file and field when a field of `doc` (a Kustomization or
    Component) has a type kustomize rejects; null (an empty key) is accepted as kustomize does."""
    body = doc.body
    expected: list[tuple[str, str, type | tuple[type, ...]]] = [
        *((k, "a list", list) for k in _LISTS),
        *((k, "a mapping", Mapping) for k in _MAPPINGS),
        *((k, "a string", str) for k in _STRINGS),
    ]
    for key, wanted, types in expected:
        value = body.get(key)
        if value is not None and not isinstance(value, types):
            raise InputError(
                f"{key}: expected {wanted}, got {_type_name(value)} ({value!r:.40}); kustomize "
                "cannot build this overlay",
                where=_where(doc),
            )
    for key in ("configMapGenerator", "secretGenerator", "helmCharts", "replicas"):
        for index, entry in enumerate(body.get(key) or []):
            if not isinstance(entry, Mapping):
                raise InputError(
                    f"{key}[{index}]: expected a mapping (with name: …), got "
                    f"{_type_name(entry)} ({entry!r:.40})",
                    where=_where(doc),
                )


def _finding(doc: Document, message: str, hint: str) -> Finding:
    return Finding(
        INVALID_KUSTOMIZATION,
        "error",
        f"{_where(doc)}: {message}",
        subject=doc.source.file,
        source=doc.source,
        hint=hint,
        rule="manifests",
    )


def _is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "git@"))


def kustomization_findings(docs: Iterable[Document], files: FileTree | None) -> list[Finding]:
    """Check every kustomization's shape (raising as `require_shape` does), then report the
    entries `kustomize build` would fail on: a `namespace` that is not a string, an `images`
    field written as a number (`newTag: 1.10`, which YAML reads as 1.1), and
    `resources`/`bases`/`components` entries that name nothing in `files` (not checked when
    there is no file tree to look in)."""
    findings: list[Finding] = []
    for doc in docs:
        require_shape(doc)
        namespace = doc.body.get("namespace")
        if namespace is not None and not isinstance(namespace, str):
            findings.append(
                _finding(
                    doc,
                    f"namespace: expected a string, got {_type_name(namespace)} "
                    f"({namespace!r:.40}); the namespace transformer was not applied",
                    "write one namespace name, e.g. `namespace: media`",
                )
            )
        for index, image in enumerate(doc.body.get("images") or []):
            for field in ("name", "newName", "newTag", "digest"):
                value = image.get(field) if isinstance(image, Mapping) else None
                if isinstance(value, bool | int | float):
                    findings.append(
                        _finding(
                            doc,
                            f"images[{index}].{field}: {value!r} is {_type_name(value)}, not a "
                            "string (kustomize build fails: cannot unmarshal number into Go "
                            f"struct field Image.images.{field} of type string)",
                            f'quote it as written (`{field}: "…"`): YAML reads an unquoted 1.10 '
                            "as the number 1.1",
                        )
                    )
        directory = Path(doc.source.file).parent
        for key in ("resources", "bases", "components"):
            for entry in doc.body.get(key) or []:
                if not isinstance(entry, str):
                    findings.append(
                        _finding(
                            doc,
                            f"{key}: entry {entry!r:.40} is not a path or URL",
                            "list file or directory paths (relative to the kustomization)",
                        )
                    )
                    continue
                target = directory / entry
                if (
                    files is None
                    or _is_remote(entry)
                    or files.is_file(target)
                    or files.is_dir(target)
                ):
                    continue
                findings.append(
                    _finding(
                        doc,
                        f"{key}: {entry} does not exist (kustomize build fails: no such file or "
                        "directory)",
                        f"create {entry} or remove it from {key}",
                    )
                )
    return findings
