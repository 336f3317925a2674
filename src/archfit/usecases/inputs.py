"""Reading manifests for commands that must not run on input they could not read.

`simulate` places the pods it was given: an object it silently dropped (broken YAML, a binary
file, `replicas: "three"`) would make "all pods scheduled" a lie. So the input problems
`load_manifests` reports are an input error (exit 2) unless the user asks to simulate the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from archfit.errors import InputError
from archfit.model.finding import Finding
from archfit.usecases.check import require_objects

if TYPE_CHECKING:
    from archfit.manifests import ManifestSet
    from archfit.sources import ReadSettings

__all__ = ["INPUT_PROBLEM_IDS", "input_problems", "load_complete", "located"]

# The finding ids that mean "this part of the input was not read".
INPUT_PROBLEM_IDS = frozenset(
    {"invalid-yaml", "not-yaml", "unreadable", "invalid-manifest", "invalid-kustomization"}
)


def located(finding: Finding) -> str:
    """The finding's message, starting with its file:line when the message does not already."""
    source = finding.source
    if source is None or finding.message.startswith(source.file):
        return finding.message
    where = f"{source.file}:{source.line}" if source.line else source.file
    return f"{where}: {finding.message}"


def input_problems(manifests: ManifestSet) -> list[Finding]:
    """The errors about parts of the input that were left out."""
    return [f for f in manifests.findings if f.severity == "error" and f.id in INPUT_PROBLEM_IDS]


def load_complete(
    paths: Sequence[Path],
    *,
    keep_going: bool = False,
    allow_empty: bool = False,
    entry: str | None = None,
    reading: ReadSettings | None = None,
) -> tuple[ManifestSet, list[Finding]]:
    """Read `paths`; raise `InputError` (the first problem, one line, and how many more) when
    part of the input could not be read, unless `keep_going`; and when nothing Kubernetes was
    found, unless `allow_empty`. Returns the manifests and the problems kept going past."""
    from archfit.sources import ReadSettings  # noqa: PLC0415

    for target in paths:
        if not target.exists():
            raise InputError("no such file or directory", where=str(target))
    manifests = (reading or ReadSettings()).load(list(paths), entry=entry)
    problems = input_problems(manifests)
    if problems and not keep_going:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(
            f"{located(problems[0])}{more}; fix the input, or pass --keep-going to simulate "
            "the rest"
        )
    if not allow_empty:
        require_objects(manifests, paths)
    return manifests, problems
