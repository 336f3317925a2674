"""What the manifest sources need from tools that render: declared here, supplied from outside.

Rendering runs programs (`kustomize build`, `kubectl kustomize`, `helm template`) or loads a
native library (the Helm SDK); that is I/O, so this logic layer only declares the two small
contracts it calls, and `archfit.sources.renderers` implements them. A source given no renderer
models what it can without one and says so in a note or finding, as when no tool is installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

__all__ = ["HelmRenderer", "KustomizeRenderer", "Renderers"]


class KustomizeRenderer(Protocol):
    """Builds a kustomization directory the way `kustomize build` does."""

    def build(self, directory: Path) -> str | None:
        """The rendered objects as one YAML stream, or None when the build fails."""
        ...


class HelmRenderer(Protocol):
    """Renders a local chart the way `helm template` does; never pulls a chart."""

    @property
    def name(self) -> str:
        """How the renderer is named in notes (`helm template`, `the Helm SDK …`)."""
        ...

    def render(self, chart: Path, name: str, namespace: str, values: Mapping[str, Any]) -> str:
        """The rendered objects of release `name` in `namespace` as one YAML stream.

        Raises `archfit.errors.InputError` with a one-line reason when the chart does not render.
        """
        ...


@dataclass(frozen=True, slots=True)
class Renderers:
    """The renderers available to this run; None where there is none (or none is wanted)."""

    kustomize: KustomizeRenderer | None = None
    helm: HelmRenderer | None = None
