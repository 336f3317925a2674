"""The images a manifest set runs, with where each is used (for `archfit lock` and
`archfit images inspect --from PATH`)."""

from __future__ import annotations

from archfit.manifests.objects import ManifestSet
from archfit.model.workload import SourceRef

__all__ = ["images_in"]


def images_in(manifests: ManifestSet) -> dict[str, list[SourceRef]]:
    """Normalised image reference → the sources of the workloads using it, sorted by reference.

    Every container, init container (sidecars included) and ephemeral container counts. Images
    that do not parse are left out (the policy reports them on their workload); a workload using
    an image in several containers is listed once for it.
    """
    found: dict[str, list[SourceRef]] = {}
    for workload in manifests.workloads:
        for container in workload.template.all_containers:
            if container.image_ref is None:
                continue
            refs = found.setdefault(str(container.image_ref), [])
            if workload.source not in refs:
                refs.append(workload.source)
    return {ref: found[ref] for ref in sorted(found)}
