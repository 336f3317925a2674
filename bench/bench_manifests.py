"""How fast archfit reads a large GitOps tree, beside plain PyYAML.

Generates a tree of 10,000 Kubernetes objects (Deployments, StatefulSets, Services, ConfigMaps)
in about 1,000 multi-document files under a temporary directory, then times:

- `archfit load_manifests` (read, split, decode with libyaml, convert into the model) in this
  process, best of N;
- the same in a fresh interpreter (cold: imports and first-touch caches included);
- peers over the same files: `yaml.load_all` with libyaml (`CSafeLoader`) and with the
  pure-Python `SafeLoader` (decoding only, no model), which is what most tools do.

Run: `.venv/bin/python bench/bench_manifests.py [--objects 10000] [--repeat 5]`
The budget is well under 2 s for 10,000 objects.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: {ns}
  annotations:
    reloader.stakater.com/auto: "true"
spec:
  replicas: {replicas}
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  strategy:
    type: RollingUpdate
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
    spec:
      serviceAccountName: {name}
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        fsGroup: 1000
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - key: kubernetes.io/arch
                    operator: In
                    values: [amd64, arm64]
      tolerations:
        - key: node-role.kubernetes.io/control-plane
          operator: Exists
          effect: NoSchedule
      initContainers:
        - name: migrate
          image: ghcr.io/example/{name}-migrate:1.{minor}.0
          command: ["/migrate", "--to", "latest"]
      containers:
        - name: app
          image: ghcr.io/example/{name}:1.{minor}.0
          args: ["--port=8080", "--log-level=info"]
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: TZ
              value: Europe/Berlin
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {name}-db
                  key: url
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 512Mi
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
          volumeMounts:
            - name: config
              mountPath: /config
        - name: metrics
          image: quay.io/prometheus/statsd-exporter:v0.{minor}.0
          resources:
            requests:
              cpu: 10m
              memory: 32Mi
      volumes:
        - name: config
          configMap:
            name: {name}
"""

STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {name}-db
  namespace: {ns}
spec:
  serviceName: {name}-db
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}-db
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}-db
    spec:
      containers:
        - name: postgres
          image: docker.io/library/postgres:16.{minor}
          ports:
            - containerPort: 5432
          resources:
            requests:
              cpu: 250m
              memory: 512Mi
          volumeMounts:
            - name: data
              mountPath: /var/lib/postgresql/data
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        storageClassName: longhorn
        resources:
          requests:
            storage: 10Gi
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  selector:
    app.kubernetes.io/name: {name}
  ports:
    - name: http
      port: 80
      targetPort: http
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: {ns}
data:
  config.yaml: |
    server:
      port: 8080
    ---
    feature_flags:
      beta: {minor}
  LOG_LEVEL: info
"""


def generate(root: Path, objects: int, per_file: int = 10, seed: int = 7) -> int:
    """Write `objects` objects into files of `per_file` documents; return the file count."""
    rng = random.Random(seed)
    templates = [(DEPLOYMENT, 4), (SERVICE, 3), (CONFIGMAP, 2), (STATEFULSET, 1)]
    weighted = [t for t, w in templates for _ in range(w)]
    written = files = 0
    while written < objects:
        ns = f"team-{files % 37}"
        directory = root / "apps" / ns / f"app-{files}"
        directory.mkdir(parents=True, exist_ok=True)
        docs = []
        for i in range(min(per_file, objects - written)):
            template = rng.choice(weighted)
            docs.append(
                template.format(name=f"svc-{files}-{i}", ns=ns, replicas=rng.randint(1, 3), minor=i)
            )
        (directory / "resources.yaml").write_text("---\n".join(docs))
        written += len(docs)
        files += 1
    return files


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of `repeat` runs (CPU time is steadier on a shared
    machine: it does not count time spent waiting for a core)."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def pyyaml_peer(root: Path, loader: type) -> int:
    count = 0
    for path in sorted(root.rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            count += sum(1 for doc in yaml.load_all(handle, Loader=loader) if doc)
    return count


def cold_run(root: Path) -> tuple[float, float]:
    """Wall and CPU seconds of a fresh interpreter importing archfit and loading the tree."""
    code = (
        "import time; t=time.perf_counter(); c=time.process_time();"
        "from archfit.manifests import load_manifests;"
        f"m=load_manifests({str(root)!r});"
        "print(time.perf_counter()-t, time.process_time()-c, len(m.documents))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from archfit.manifests import load_manifests

    with tempfile.TemporaryDirectory(prefix="archfit-bench-") as tmp:
        root = Path(tmp)
        files = generate(root, args.objects)
        manifests = load_manifests(root)
        assert len(manifests.documents) == args.objects, len(manifests.documents)
        assert not manifests.findings, manifests.findings[:3]
        colds = [cold_run(root) for _ in range(3)]
        rows = [
            (
                "archfit load_manifests (warm, best of N)",
                best_of(args.repeat, lambda: load_manifests(root)),
            ),
            (
                "archfit load_manifests (cold process, best of 3)",
                (min(w for w, _ in colds), min(c for _, c in colds)),
            ),
            (
                "peer: yaml.load_all CSafeLoader (decode only)",
                best_of(args.repeat, lambda: pyyaml_peer(root, yaml.CSafeLoader)),
            ),
            (
                "peer: yaml.load_all SafeLoader (decode only)",
                best_of(max(1, args.repeat // 2), lambda: pyyaml_peer(root, yaml.SafeLoader)),
            ),
        ]
        print(
            f"{args.objects} objects in {files} files; {len(manifests.workloads)} workloads, "
            f"{len(manifests.pvcs)} claims modelled"
        )
        print(f"{'what':<50} {'wall s':>7} {'cpu s':>7} {'objects/s (cpu)':>16}")
        for name, (wall, cpu) in rows:
            print(f"{name:<50} {wall:>7.3f} {cpu:>7.3f} {args.objects / cpu:>16.0f}")


if __name__ == "__main__":
    main()
