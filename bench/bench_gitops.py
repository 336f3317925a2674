"""How fast archfit reads a GitOps repository shaped like real homelab trees, without helm.

Generates, under a temporary directory, a repository of 3,000 YAML files in the layout of Flux
homelab repositories: 300 apps as Flux `HelmRelease`s of the bjw-s app-template chart (current
values layout: controllers, containers with digest-pinned images, probes, resources, persistence,
routes; one in five takes values from a `configMapGenerator` through `valuesFrom`), each with its
kustomization, OCIRepository, ExternalSecret, PVC and Flux Kustomization; and plain apps as
Kustomize bases with overlays (namespace and image transformers), plus namespaces and components.

Times (best of N, in this process, and once cold in a fresh interpreter):
- archfit `load_manifests` with every source (raw, Kustomize, Flux HelmRelease, Argo CD,
  helmCharts, wrapper charts, functions): workloads derived from values, nothing rendered by helm;
- peers over the same files: PyYAML `load_all` with libyaml (decoding only, no model), and
  `kubectl kustomize` over every overlay when a working kubectl is on PATH (what a renderer
  costs for only the Kustomize half of the tree).

Run: `.venv/bin/python bench/bench_gitops.py [--apps 300] [--repeat 5] [--fix]`
Budget: reading the 3,000-file tree in under 3 s.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HELMRELEASE = """\
---
# yaml-language-server: $schema=https://raw.githubusercontent.com/bjw-s-labs/helm-charts/main/charts/other/app-template/schemas/helmrelease-helm-v2.schema.json
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
spec:
  chartRef:
    kind: OCIRepository
    name: {name}
  interval: 1h
{values_from}  values:
    controllers:
      {name}:
        annotations:
          reloader.stakater.com/auto: "true"
        containers:
          app:
            image:
              repository: ghcr.io/home-operations/{name}
              tag: {version}@sha256:{digest}
            env:
              TZ: America/New_York
              {upper}__PORT: &port {port}
            probes:
              liveness: &probes
                enabled: true
                custom: true
                spec:
                  httpGet:
                    path: /ping
                    port: *port
                  periodSeconds: 10
              readiness: *probes
            securityContext:
              allowPrivilegeEscalation: false
              readOnlyRootFilesystem: true
              capabilities: {{ drop: ["ALL"] }}
            resources:
              requests:
                cpu: {cpu}m
              limits:
                memory: {memory}Mi
{sidecar}    defaultPodOptions:
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        fsGroup: 1000
        fsGroupChangePolicy: OnRootMismatch
    service:
      app:
        ports:
          http:
            port: *port
    route:
      app:
        hostnames: ["{{{{ .Release.Name }}}}.example.com"]
        parentRefs:
          - name: envoy-internal
            namespace: network
    persistence:
      config:
        existingClaim: "{{{{ .Release.Name }}}}"
      tmp:
        type: emptyDir
      media:
        type: nfs
        server: nas.internal
        path: /mnt/media
        globalMounts:
          - path: /media
            readOnly: true
"""

SIDECAR = """\
      worker:
        type: cronjob
        cronjob:
          schedule: "0 * * * *"
        containers:
          app:
            image:
              repository: ghcr.io/home-operations/{name}-worker
              tag: {version}
"""

VALUES_FROM = """\
  valuesFrom:
    - kind: ConfigMap
      name: {name}-values
"""

OCIREPOSITORY = """\
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: {name}
spec:
  interval: 15m
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
  ref:
    tag: 4.2.0
  url: oci://ghcr.io/bjw-s-labs/helm/app-template
"""

EXTERNALSECRET = """\
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: {name}
spec:
  secretStoreRef:
    kind: ClusterSecretStore
    name: onepassword
  target:
    name: {name}-secret
  dataFrom:
    - extract:
        key: {name}
"""

PVC = """\
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {name}
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: {size}Gi
  storageClassName: ceph-block
"""

APP_KUSTOMIZATION = """\
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./externalsecret.yaml
  - ./helmrelease.yaml
  - ./ocirepository.yaml
  - ./pvc.yaml
{generator}"""

GENERATOR = """\
configMapGenerator:
  - name: {name}-values
    files:
      - values.yaml=./values.yaml
generatorOptions:
  disableNameSuffixHash: true
"""

VALUES_FILE = """\
controllers:
  {name}:
    replicas: 2
"""

FLUX_KS = """\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
spec:
  interval: 1h
  path: ./kubernetes/apps/{ns}/{name}/app
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
  targetNamespace: {ns}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app: {name}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: {name}
          image: docker.io/library/{name}:1.0
          resources:
            requests: {{cpu: 50m, memory: 64Mi}}
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector:
    app: {name}
  ports:
    - port: 80
"""

NAMESPACES = ["default", "media", "home", "network", "o11y", "kube-system", "databases", "tools"]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def generate(root: Path, apps: int, target_files: int, rng: random.Random) -> int:
    """Write the repository; returns the number of YAML files written."""
    count = 0
    for i in range(apps):
        ns = NAMESPACES[i % len(NAMESPACES)]
        name = f"app{i:03d}"
        app = root / "kubernetes" / "apps" / ns / name
        values_from = i % 5 == 0
        write(
            app / "app" / "helmrelease.yaml",
            HELMRELEASE.format(
                name=name,
                upper=name.upper(),
                version=f"{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
                digest=f"{rng.getrandbits(256):064x}",
                port=rng.randint(3000, 9000),
                cpu=rng.choice([10, 50, 100, 250]),
                memory=rng.choice([128, 256, 512, 2048]),
                sidecar=SIDECAR.format(name=name, version="1.0.0") if i % 7 == 0 else "",
                values_from=VALUES_FROM.format(name=name) if values_from else "",
            ),
        )
        write(app / "app" / "ocirepository.yaml", OCIREPOSITORY.format(name=name))
        write(app / "app" / "externalsecret.yaml", EXTERNALSECRET.format(name=name))
        write(app / "app" / "pvc.yaml", PVC.format(name=name, size=rng.randint(1, 50)))
        write(
            app / "app" / "kustomization.yaml",
            APP_KUSTOMIZATION.format(generator=GENERATOR.format(name=name) if values_from else ""),
        )
        write(app / "ks.yaml", FLUX_KS.format(name=name, ns=ns))
        count += 6
        if values_from:
            (app / "app" / "values.yaml").write_text(VALUES_FILE.format(name=name))
            count += 1
    for ns in NAMESPACES:
        write(
            root / "kubernetes" / "apps" / ns / "namespace.yaml",
            f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n",
        )
        count += 1
    i = 0
    while count + 5 <= target_files:
        name = f"svc{i:04d}"
        base = root / "kustomize" / "base" / name
        overlay = root / "kustomize" / "overlays" / "home" / name
        write(base / "deployment.yaml", DEPLOYMENT.format(name=name))
        write(base / "service.yaml", SERVICE.format(name=name))
        write(base / "kustomization.yaml", "resources:\n  - deployment.yaml\n  - service.yaml\n")
        write(
            overlay / "kustomization.yaml",
            f"namespace: home\nresources:\n  - ../../../base/{name}\n"
            f"images:\n  - name: docker.io/library/{name}\n    newTag: '1.1'\n",
        )
        write(overlay / "service-monitor.yaml", SERVICE.format(name=f"{name}-metrics"))
        count += 5
        i += 1
    while count < target_files:
        write(
            root / "misc" / f"cm{count}.yaml",
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{count}\n",
        )
        count += 1
    return count


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--apps", type=int, default=300, help="HelmReleases (default 300)")
    parser.add_argument(
        "--files", type=int, default=3000, help="YAML files in total (default 3000)"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--fix", action="store_true", help="also time `fix --dry-run` (amd64 everywhere)"
    )
    args = parser.parse_args()

    from archfit.sources import load_manifests
    from archfit.sources.renderers import kustomize_command

    with tempfile.TemporaryDirectory(prefix="archfit-bench-gitops-") as tmp:
        root = Path(tmp) / "repo"
        files = generate(root, args.apps, args.files, random.Random(42))
        yaml_files = sorted(p for p in root.rglob("*.yaml"))
        manifests = load_manifests([root])
        releases = len(manifests.of_kind("HelmRelease"))
        derived = sum(1 for w in manifests.workloads if "archfit.dev/helm-release" in w.annotations)
        print(f"repository: {files} YAML files, {releases} HelmReleases")
        print(
            f"read: {len(manifests.workloads)} workloads ({derived} derived from app-template "
            f"values), {len(manifests.pvcs)} claims, {len(manifests.findings)} findings"
        )
        warm = best(lambda: load_manifests([root]), args.repeat)
        print(f"archfit load_manifests, all sources (warm, best of {args.repeat}): {warm:.3f} s")
        code = (
            "import time, sys; t=time.perf_counter(); "
            "from archfit.sources import load_manifests; "
            f"load_manifests([{str(root)!r}]); print(time.perf_counter()-t)"
        )
        cold = float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        print(f"archfit load_manifests, cold (fresh interpreter, imports included): {cold:.3f} s")

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        def pyyaml() -> None:
            for path in yaml_files:
                for _ in yaml.load_all(path.read_text(), Loader=loader):
                    pass

        print(
            f"peer: PyYAML load_all with libyaml, decoding only: {best(pyyaml, args.repeat):.3f} s"
        )
        command = kustomize_command()
        overlays = sorted((root / "kustomize" / "overlays" / "home").iterdir())
        if command is not None:
            start = time.perf_counter()
            for overlay in overlays:
                subprocess.run([*command, str(overlay)], capture_output=True, check=True)
            spent = time.perf_counter() - start
            print(
                f"peer: `{' '.join(command)}` over the {len(overlays)} overlays only: {spent:.3f} s"
            )
        else:
            print("peer: no kustomize renderer on PATH; skipped")
        if args.fix:
            from archfit.model.check import CheckReport, WorkloadVerdict
            from archfit.model.placement import Placement
            from archfit.model.selectors import NodeSelectorRequirement
            from archfit.usecases.fix import run_fix

            placement = Placement(
                frozenset({"amd64"}),
                (NodeSelectorRequirement("kubernetes.io/arch", "In", ("amd64",)),),
            )

            def check(paths):  # every workload gets the same placement: the writing is timed
                return CheckReport(
                    workloads=tuple(
                        WorkloadVerdict(w, placement=placement)
                        for w in load_manifests(list(paths)).workloads
                    )
                )

            start = time.perf_counter()
            outcome = run_fix([root], dry_run=True, check=check)
            spent = time.perf_counter() - start
            files = len(outcome.files)
            print(f"archfit fix --dry-run (read, plan, diff of {files} files): {spent:.3f} s")
        budget = 3.0
        print(f"budget {budget:.1f} s: {'met' if max(warm, cold) < budget else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
