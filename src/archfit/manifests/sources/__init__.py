"""Manifest sources: pluggable steps between reading files and building the model.

`SOURCES` is the ordered registry `load_manifests` runs; see `interface.py` for the contract.
A new source is one module here exposing a class that satisfies `Source`, plus one line below.
"""

from __future__ import annotations

from archfit.manifests.sources.interface import Source, SourceContext, SourceOutput
from archfit.manifests.sources.raw import RawYamlSource

__all__ = ["SOURCES", "RawYamlSource", "Source", "SourceContext", "SourceOutput"]

# Run in order; each sees the documents read plus those emitted by the sources before it.
SOURCES: tuple[Source, ...] = (RawYamlSource(),)
