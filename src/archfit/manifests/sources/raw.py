"""The raw YAML source: every Kubernetes object read from the files is modelled as written.

It is the first source and the one that makes plain manifests work; it emits the documents it
is given unchanged. Sources that render or patch (Kustomize overlays) run after it and mark the
raw documents their output replaces as superseded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from archfit.manifests.documents import Document
from archfit.manifests.sources.interface import SourceContext, SourceOutput

__all__ = ["RawYamlSource"]


@dataclass(frozen=True, slots=True)
class RawYamlSource:
    name: str = "raw"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        del context  # the raw documents need nothing else
        return SourceOutput(documents=tuple(documents))
