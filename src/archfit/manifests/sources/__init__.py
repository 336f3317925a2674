"""Manifest sources: pluggable steps between reading files and building the model.

`SOURCES` is the ordered registry `load_manifests` runs; see `interface.py` for the contract.
A new source is one module here exposing a class that satisfies `Source`, plus one line below.
"""

from __future__ import annotations

from archfit.manifests.sources.argocd import ArgoApplicationSource
from archfit.manifests.sources.functions import FunctionSource
from archfit.manifests.sources.helmcharts import KustomizeHelmChartsSource, WrapperChartSource
from archfit.manifests.sources.helmrelease import FluxHelmReleaseSource
from archfit.manifests.sources.interface import Source, SourceContext, SourceOutput
from archfit.manifests.sources.kustomize import KustomizeSource
from archfit.manifests.sources.raw import RawYamlSource

__all__ = [
    "SOURCES",
    "ArgoApplicationSource",
    "FluxHelmReleaseSource",
    "FunctionSource",
    "KustomizeHelmChartsSource",
    "KustomizeSource",
    "RawYamlSource",
    "Source",
    "SourceContext",
    "SourceOutput",
    "WrapperChartSource",
]

# Run in order; each sees the documents read plus those emitted by the sources before it.
# Kustomize runs before the Helm sources: overlays change releases' namespaces and its generators
# make the ConfigMaps that `valuesFrom` reads.
SOURCES: tuple[Source, ...] = (
    RawYamlSource(),
    KustomizeSource(),
    FluxHelmReleaseSource(),
    ArgoApplicationSource(),
    KustomizeHelmChartsSource(),
    WrapperChartSource(),
    FunctionSource(),
)
