"""The file and renderer adapter: what `archfit.manifests` needs from outside, supplied.

Adapters layer (beside `registry`, `kube` and `report`): finding the inputs of a command
(`discovery`), walking directories and reading files (`files`, `loader`), decoding many files in
several processes (`parallel`), counting how far a read has come (`progress`), running
Kustomize and Helm (`renderers`), the settings entry points pass down (`settings`), reading and
writing `archfit.lock` and cluster files (`lockfile`, `inventory`), atomic writes (`atomic`)
and the process-wide switches of reading (`runtime`).
The semantics (what the bytes mean) stay in the pure `archfit.manifests`; this package only
moves bytes in and out and runs programs. Entry points:

- `load_manifests(paths)` → `ManifestSet`: a GitOps tree or files, through every source;
- `read_documents(paths)` → `ReadResult`: just the decoded Kubernetes objects with file:line;
- `load_inventory(path)` → `Inventory`: a cluster file or `kubectl get nodes` output;
- `read_lockfile(path)` / `write_lockfile(path, lock)`: `archfit.lock`;
- `ReadSettings`: processes, helm binary and a progress observer, from the entry point
  (`$ARCHFIT_JOBS`, …); the observer receives `ReadCounts` (files found, read, rendered);
- `write_atomic(path, data)`: a file is its old content or its new content, never half-written.
"""

from archfit.sources.atomic import write_atomic
from archfit.sources.inventory import load_inventory
from archfit.sources.loader import load_manifests, read_documents
from archfit.sources.lockfile import read_lockfile, write_lockfile
from archfit.sources.progress import ReadCounts
from archfit.sources.settings import ReadSettings

__all__ = [
    "ReadCounts",
    "ReadSettings",
    "load_inventory",
    "load_manifests",
    "read_documents",
    "read_lockfile",
    "write_atomic",
    "write_lockfile",
]
