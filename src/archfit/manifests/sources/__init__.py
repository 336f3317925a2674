"""Manifest sources: pluggable steps between reading files and building the model.

`SOURCES` is the ordered registry `load_manifests` runs; see `interface.py` for the contract.
A new source is one module here exposing a class that satisfies `Source`, plus one line below.
"""

from __future__ import annotations

from archfit.manifests.sources.applicationset import ArgoApplicationSetSource
from archfit.manifests.sources.argocd import ArgoApplicationSource
from archfit.manifests.sources.argodirectory import ArgoDirectorySource
from archfit.manifests.sources.fluxkustomization import FluxKustomizationSource
from archfit.manifests.sources.functions import FunctionSource
from archfit.manifests.sources.helmcharts import KustomizeHelmChartsSource
from archfit.manifests.sources.helmrelease import FluxHelmReleaseSource
from archfit.manifests.sources.interface import (
    FileTree,
    NoFiles,
    Source,
    SourceContext,
    SourceOutput,
)
from archfit.manifests.sources.kustomize import KustomizeSource
from archfit.manifests.sources.localchart import LocalChartSource
from archfit.manifests.sources.raw import RawYamlSource

__all__ = [
    "SOURCES",
    "ArgoApplicationSetSource",
    "ArgoApplicationSource",
    "ArgoDirectorySource",
    "FileTree",
    "FluxHelmReleaseSource",
    "FluxKustomizationSource",
    "FunctionSource",
    "KustomizeHelmChartsSource",
    "KustomizeSource",
    "LocalChartSource",
    "NoFiles",
    "RawYamlSource",
    "Source",
    "SourceContext",
    "SourceOutput",
]

# Run in order; each sees the documents read plus those emitted by the sources before it.
# Kustomize and then Flux Kustomizations run before the Helm sources: overlays, target namespaces
# and substitutions change releases, and Kustomize generators make the ConfigMaps `valuesFrom`
# reads.
SOURCES: tuple[Source, ...] = (
    RawYamlSource(),
    KustomizeSource(),
    FluxKustomizationSource(),
    FluxHelmReleaseSource(),
    ArgoApplicationSetSource(),
    ArgoApplicationSource(),
    ArgoDirectorySource(),
    KustomizeHelmChartsSource(),
    LocalChartSource(),
    FunctionSource(),
)
