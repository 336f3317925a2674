"""Manifests into the model: pure logic (data in, data out; no files, processes or programs).

The adapter `archfit.sources` reads the files and runs the renderers, then calls in here:

- `read_bytes(data, file)` → `ReadResult`: a file's bytes decoded into Kubernetes documents;
- `expand_documents(read, context)` → `ManifestSet`: the pluggable sources of
  `archfit.manifests.sources` (Kustomize, Flux, Helm, Argo CD) run over the documents, then the
  documents modelled (`build_manifest_set`);
- `parse_inventory(data, file)` → `Inventory`: a cluster file or `kubectl get nodes` output;
- `parse_lockfile(data, where)` / `dump_lockfile(lock)`: the text of `archfit.lock`;
- `images_in(manifest_set)`: every image used, normalised, with where.

Which `archfit.yaml`, `cluster.yaml` and `archfit.lock` apply is `archfit.sources.discovery`.
"""

from archfit.manifests.documents import Document, ReadResult, read_bytes, read_text
from archfit.manifests.images import images_in
from archfit.manifests.inventory import Inventory, parse_inventory
from archfit.manifests.lockfile import dump_lockfile, parse_lockfile
from archfit.manifests.objects import ManifestSet, build_manifest_set, expand_documents

__all__ = [
    "Document",
    "Inventory",
    "ManifestSet",
    "ReadResult",
    "build_manifest_set",
    "dump_lockfile",
    "expand_documents",
    "images_in",
    "parse_inventory",
    "parse_lockfile",
    "read_bytes",
    "read_text",
]
