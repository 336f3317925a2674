"""Reading manifests and inventories into the model.

Logic without network I/O; files are read at the edge of this package. The entry points:

- `load_manifests(paths)` → `ManifestSet`: a GitOps tree or files, through the pluggable
  sources in `archfit.manifests.sources`;
- `read_documents(paths)` → `ReadResult`: just the decoded Kubernetes objects with file:line;
- `load_inventory(path)` → `Inventory`: a cluster file or `kubectl get nodes` output;
- `read_lockfile(path)` / `write_lockfile(path, lock)`: `archfit.lock`;
- `images_in(manifest_set)`: every image used, normalised, with where.

Which `archfit.yaml`, `cluster.yaml` and `archfit.lock` apply is `archfit.sources.discovery`.
"""

from archfit.manifests.documents import Document, ReadResult, read_documents
from archfit.manifests.images import images_in
from archfit.manifests.inventory import Inventory, load_inventory
from archfit.manifests.lockfile_io import read_lockfile, write_lockfile
from archfit.manifests.objects import ManifestSet, build_manifest_set, load_manifests

__all__ = [
    "Document",
    "Inventory",
    "ManifestSet",
    "ReadResult",
    "build_manifest_set",
    "images_in",
    "load_inventory",
    "load_manifests",
    "read_documents",
    "read_lockfile",
    "write_lockfile",
]
