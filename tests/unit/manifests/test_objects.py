"""`load_manifests`: every workload kind, storage objects, namespaces, conversion findings, and the
source pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from textwrap import dedent

import pytest

from archfit.manifests import images_in
from archfit.manifests.documents import Document
from archfit.manifests.sources import RawYamlSource, SourceContext, SourceOutput
from archfit.model.workload import SourceRef
from archfit.sources import load_manifests


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text))
    return path


SPEC = """\
    spec:
      containers:
        - name: app
          image: {image}
"""

ALL_KINDS = dedent(
    """\
    apiVersion: v1
    kind: Pod
    metadata: {name: bare, namespace: web}
    spec:
      containers: [{name: app, image: nginx}]
      ephemeralContainers: [{name: debug, image: busybox:1.36}]
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: web}
    spec:
      replicas: 3
      selector: {matchLabels: {app: api}}
      template:
        metadata: {labels: {app: api}}
        spec:
          initContainers: [{name: migrate, image: "ghcr.io/acme/api:2.0"}]
          containers: [{name: app, image: "ghcr.io/acme/api:2.0"}]
    ---
    apiVersion: apps/v1
    kind: ReplicaSet
    metadata: {name: rs, namespace: web}
    spec:
      template:
        spec:
          containers: [{name: app, image: "nginx:1.27"}]
    ---
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: db, namespace: data}
    spec:
      replicas: 2
      template:
        spec:
          containers: [{name: pg, image: "postgres:16"}]
      volumeClaimTemplates:
        - metadata: {name: data}
          spec:
            storageClassName: longhorn
            accessModes: [ReadWriteOnce]
            resources: {requests: {storage: 10Gi}}
    ---
    apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: exporter, namespace: monitoring}
    spec:
      template:
        spec:
          containers: [{name: exporter, image: "quay.io/prometheus/node-exporter:v1.8.2"}]
    ---
    apiVersion: batch/v1
    kind: Job
    metadata: {name: once, namespace: batch}
    spec:
      parallelism: 4
      template:
        spec:
          containers: [{name: run, image: "alpine:3.20"}]
    ---
    apiVersion: batch/v1
    kind: CronJob
    metadata: {name: nightly, namespace: batch}
    spec:
      schedule: "0 3 * * *"
      jobTemplate:
        spec:
          parallelism: 2
          template:
            spec:
              containers: [{name: backup, image: "restic/restic:0.17.0"}]
    """
)


def test_every_workload_kind(tmp_path: Path) -> None:
    _write(tmp_path, "all.yaml", ALL_KINDS)
    manifests = load_manifests(tmp_path)
    assert manifests.findings == ()
    by_key = {w.key: w for w in manifests.workloads}
    assert list(by_key) == [
        "Pod/web/bare",
        "Deployment/web/api",
        "ReplicaSet/web/rs",
        "StatefulSet/data/db",
        "DaemonSet/monitoring/exporter",
        "Job/batch/once",
        "CronJob/batch/nightly",
    ]
    assert [w.replicas for w in by_key.values()] == [1, 3, 1, 2, None, 4, 2]
    assert [w.source.line for w in by_key.values()] == [1, 8, 20, 28, 43, 51, 60]
    assert by_key["Pod/web/bare"].template.ephemeral_containers[0].image == "busybox:1.36"
    assert by_key["Deployment/web/api"].template.init_containers[0].kind == "init"
    assert by_key["CronJob/batch/nightly"].template.path == ("spec.jobTemplate.spec.template.spec")
    (vct,) = by_key["StatefulSet/data/db"].volume_claim_templates
    assert (vct.name, vct.namespace, vct.storage_class) == ("data", "data", "longhorn")
    assert vct.storage is not None
    assert vct.storage.value == Decimal(10 * 2**30)


def test_storage_and_node_objects(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "storage.yaml",
        """\
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: uploads}
        spec:
          storageClassName: longhorn
          resources: {requests: {storage: 1Gi}}
        ---
        apiVersion: storage.k8s.io/v1
        kind: StorageClass
        metadata:
          name: longhorn
          annotations: {storageclass.kubernetes.io/is-default-class: "true"}
        provisioner: driver.longhorn.io
        ---
        apiVersion: v1
        kind: PersistentVolume
        metadata: {name: pv-1}
        spec:
          storageClassName: local
          capacity: {storage: 5Gi}
          local: {path: /mnt/disk}
        ---
        apiVersion: v1
        kind: Node
        metadata:
          name: volo
          labels: {kubernetes.io/arch: arm64}
        status:
          allocatable: {cpu: "3", memory: 6Gi, pods: "110"}
        """,
    )
    manifests = load_manifests(tmp_path / "storage.yaml")
    (pvc,) = manifests.pvcs
    assert (pvc.namespace, pvc.name, pvc.storage_class) == ("default", "uploads", "longhorn")
    assert pvc.source == SourceRef(str(tmp_path / "storage.yaml"), 1)
    (sc,) = manifests.storage_classes
    assert (sc.name, sc.provisioner, sc.is_default) == ("longhorn", "driver.longhorn.io", True)
    (pv,) = manifests.persistent_volumes
    assert (pv.name, pv.local_path) == ("pv-1", "/mnt/disk")
    (node,) = manifests.nodes
    assert (node.name, node.arch) == ("volo", "arm64")
    assert manifests.workloads == ()


def test_other_kinds_are_kept_as_documents(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "misc.yaml",
        """\
        apiVersion: v1
        kind: Namespace
        metadata: {name: web}
        ---
        apiVersion: scheduling.k8s.io/v1
        kind: PriorityClass
        metadata: {name: high}
        value: 1000
        ---
        apiVersion: node.k8s.io/v1
        kind: RuntimeClass
        metadata: {name: nvidia}
        handler: nvidia
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: api, namespace: web}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: web}
        ---
        apiVersion: example.com/v1
        kind: Deployment
        metadata: {name: not-apps}
        """,
    )
    manifests = load_manifests(tmp_path)
    assert [d.name for d in manifests.namespaces] == ["web"]
    assert [d.name for d in manifests.priority_classes] == ["high"]
    assert [d.name for d in manifests.runtime_classes] == ["nvidia"]
    assert [d.name for d in manifests.pod_disruption_budgets] == ["api"]
    assert [d.name for d in manifests.services] == ["api"]
    # A custom resource that happens to be called Deployment is not a workload.
    assert manifests.workloads == ()
    assert len(manifests.of_kind("Deployment")) == 1


def test_namespace_defaulting(tmp_path: Path) -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n{ns}spec: {{containers: []}}\n"
    _write(tmp_path, "plain/pod.yaml", pod.format(name="plain", ns=""))
    _write(tmp_path, "explicit/pod.yaml", pod.format(name="explicit", ns="  namespace: mine\n"))
    _write(tmp_path, "explicit/kustomization.yaml", "namespace: other\n")
    _write(tmp_path, "media/kustomization.yaml", "namespace: media\nresources: [app]\n")
    _write(tmp_path, "media/app/deep/pod.yaml", pod.format(name="nested", ns=""))
    _write(tmp_path, "base/app/pod.yaml", pod.format(name="based", ns=""))
    _write(tmp_path, "base/app/kustomization.yaml", "resources: [pod.yaml]\n")
    _write(tmp_path, "overlay/kustomization.yaml", "namespace: prod\nresources: [../base/app]\n")
    _write(tmp_path, "shared/pod.yaml", pod.format(name="shared", ns=""))
    _write(tmp_path, "one/kustomization.yaml", "namespace: one\nresources: [../shared/pod.yaml]\n")
    _write(tmp_path, "two/kustomization.yaml", "namespace: two\nresources: [../shared/pod.yaml]\n")
    manifests = load_manifests(tmp_path, sources=[RawYamlSource()])
    namespaces = {w.name: w.namespace for w in manifests.workloads}
    assert namespaces == {
        "plain": "default",
        "explicit": "mine",
        "nested": "media",
        "based": "prod",
        "shared": "default",  # two overlays disagree: which one deploys it is not known
    }


@pytest.mark.parametrize(
    ("body", "field", "severity"),
    [
        pytest.param(
            "spec:\n  containers:\n    - name: a\n      resources: {requests: {cpu: lots}}\n",
            "spec.containers[0].resources.requests.cpu",
            "error",
            id="bad-quantity",
        ),
        pytest.param(
            "spec:\n  containers: {name: a}\n", "spec.containers", "error", id="not-a-list"
        ),
        pytest.param(
            "spec:\n  containers:\n    - name: a\n      resources:\n        requests:\n"
            "          memory: ${MEM}\n",
            "spec.containers[0].resources.requests.memory",
            "warning",
            id="substitution-variable",
        ),
    ],
)
def test_conversion_errors_are_findings(
    tmp_path: Path, body: str, field: str, severity: str
) -> None:
    path = _write(
        tmp_path, "bad.yaml", "# c\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n" + body
    )
    manifests = load_manifests(path)
    assert manifests.workloads == ()
    (finding,) = manifests.findings
    assert finding.id == "invalid-manifest"
    assert finding.severity == severity
    assert finding.source == SourceRef(str(path), 2)
    assert finding.message.startswith(f"{path}:2: Pod/p: {field}: ")
    assert finding.details["field"] == field


def test_images_in_collects_every_container(tmp_path: Path) -> None:
    _write(tmp_path, "all.yaml", ALL_KINDS)
    images = images_in(load_manifests(tmp_path))
    assert list(images) == sorted(images)
    assert "docker.io/library/busybox:1.36" in images  # ephemeral containers count
    assert "docker.io/library/nginx:latest" in images  # normalised
    # Init and app container of one workload share an image: listed once for it.
    assert len(images["ghcr.io/acme/api:2.0"]) == 1
    assert images["ghcr.io/acme/api:2.0"][0].line == 8


@dataclass(frozen=True)
class _Renamer:
    """A source that replaces every Pod by a renamed copy, to exercise `superseded`."""

    name: str = "renamer"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        assert context.roots
        pods = [d for d in documents if d.kind == "Pod"]
        renamed = tuple(
            Document(
                {**d.body, "metadata": {"name": d.name + "-renamed"}},
                SourceRef(d.source.file, d.source.line, "renamer"),
            )
            for d in pods
        )
        return SourceOutput(
            documents=renamed,
            superseded=frozenset(d.source for d in pods),
            notes=("renamed",),
        )


def test_sources_run_in_order_and_supersede(tmp_path: Path) -> None:
    _write(tmp_path, "pods.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n")
    manifests = load_manifests(tmp_path, sources=[RawYamlSource(), _Renamer()])
    assert [w.name for w in manifests.workloads] == ["a-renamed"]
    assert manifests.workloads[0].source.origin == "renamer"
    assert manifests.notes == ("renamer: renamed",)
