"""One rule for volumes: hostPath and local-path claims are node-local, others cluster storage;
`check` and `simulate --suggest` read the same verdict."""

from __future__ import annotations

from archfit.model.pod import Container, PodTemplate, Volume
from archfit.model.volumes import VolumeUse, workload_volumes
from archfit.model.workload import PersistentVolumeClaim, SourceRef, StorageClass, Workload

LOCAL = StorageClass("local-path", "rancher.io/local-path", is_default=True)
LONGHORN = StorageClass("longhorn", "driver.longhorn.io")


def _workload(*volumes: Volume, templates: tuple[PersistentVolumeClaim, ...] = ()) -> Workload:
    return Workload(
        kind="StatefulSet" if templates else "Deployment",
        namespace="apps",
        name="app",
        template=PodTemplate(containers=(Container("app", "nginx", None),), volumes=tuple(volumes)),
        source=SourceRef("app.yaml", 1),
        volume_claim_templates=templates,
    )


def test_localities() -> None:
    claims = {
        ("apps", "data"): PersistentVolumeClaim("apps", "data"),  # default class: local-path
        ("apps", "shared"): PersistentVolumeClaim("apps", "shared", "longhorn"),
    }
    wl = _workload(
        Volume("dri", "hostPath", host_path="/dev/dri"),
        Volume("data", "persistentVolumeClaim", claim_name="data"),
        Volume("shared", "persistentVolumeClaim", claim_name="shared"),
        Volume("other", "persistentVolumeClaim", claim_name="missing"),
        templates=(PersistentVolumeClaim("", "db", "longhorn"),),
    )
    classes = {"local-path": LOCAL, "longhorn": LONGHORN}
    assert workload_volumes(wl, claims, classes) == [
        VolumeUse("dri", "node-local", host_path="/dev/dri"),
        VolumeUse("data", "node-local", "local-path"),
        VolumeUse("shared", "cluster", "longhorn"),
        VolumeUse("missing", "unknown"),
        VolumeUse("db", "cluster", "longhorn"),
    ]


def test_local_path_by_name_when_the_class_is_not_among_the_inputs() -> None:
    wl = _workload(Volume("scratch", "ephemeral", storage_class="local-path"))
    assert workload_volumes(wl, {}, {}) == [VolumeUse("scratch", "node-local", "local-path")]
