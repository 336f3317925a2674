"""How fast archfit reads a large GitOps tree, beside plain PyYAML.

Generates a tree of 10,000 Kubernetes objects (Deployments, StatefulSets, Services, ConfigMaps)
in about 1,000 multi-document files under a temporary directory, then times:

- `archfit load_manifests` (read, split, decode with libyaml, convert into the model) in this
  process, best of N, in one process (`jobs=1`) and with files decoded by `--jobs` worker
  processes (default: as archfit chooses, every CPU up to 8);
- the same in a fresh interpreter (cold: imports and first-touch caches included);
- peers over the same files: `yaml.load_all` with libyaml (`CSafeLoader`) and with the
  pure-Python `SafeLoader` (decoding only, no model), which is what most tools do.

CPU seconds count the worker processes too. On a shared machine the wall-clock time of the
parallel rows depends on whether another core is free; `--sweep` times reading alone for
growing trees in one and in several processes, to place the size threshold (`MIN_BYTES`).

Run: `.venv/bin/python bench/bench_manifests.py [--objects 10000] [--repeat 5] [--jobs N] [--sweep]`
The budget is well under 2 s for 10,000 objects.
"""

from __future__ import annotations

import argparse
import functools
import os
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


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the worker processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of `repeat` runs (CPU time is steadier on a shared
    machine: it does not count time spent waiting for a core)."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, cpu_seconds() - start_cpu)
    return wall, cpu


def pyyaml_peer(root: Path, loader: type) -> int:
    count = 0
    for path in sorted(root.rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            count += sum(1 for doc in yaml.load_all(handle, Loader=loader) if doc)
    return count


def cold_run(root: Path, jobs: int) -> tuple[float, float]:
    """Wall and CPU seconds of a fresh interpreter importing archfit and loading the tree."""
    code = (
        "import os, time; t=time.perf_counter(); c=sum(os.times()[:4]);"
        "from archfit.sources import load_manifests;"
        f"m=load_manifests({str(root)!r}, jobs={jobs});"
        "print(time.perf_counter()-t, sum(os.times()[:4])-c, len(m.documents))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def sweep(jobs: int, repeat: int) -> None:
    """Reading alone (`read_documents`) for growing trees, in one process and in `jobs`."""
    from archfit.sources import parallel, read_documents

    # Lift the thresholds so that every size is read in worker processes.
    parallel.MIN_FILES = parallel.MIN_BYTES = 0
    print(f"{'files':>6} {'MB':>6} {'one wall':>9} {'one cpu':>8} {'par wall':>9} {'par cpu':>8}")
    for files in (8, 16, 32, 64, 128, 256, 512):
        with tempfile.TemporaryDirectory(prefix="archfit-bench-") as tmp:
            root = Path(tmp)
            generate(root, files * 10)
            size = sum(p.stat().st_size for p in root.rglob("*.yaml")) / 1e6
            one = best_of(repeat, functools.partial(read_documents, root, jobs=1))
            par = best_of(repeat, functools.partial(read_documents, root, jobs=jobs))
            times = f"{one[0]:>9.3f} {one[1]:>8.3f} {par[0]:>9.3f} {par[1]:>8.3f}"
            print(f"{files:>6} {size:>6.2f} {times}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--jobs", type=int, default=0, help="worker processes (0: as archfit chooses by default)"
    )
    parser.add_argument("--sweep", action="store_true", help="time reading growing trees")
    args = parser.parse_args()

    from archfit.sources import load_manifests
    from archfit.sources.parallel import jobs_setting, planned_workers

    jobs = jobs_setting(args.jobs)
    if args.sweep:
        sweep(max(jobs, 2), args.repeat)
        return

    with tempfile.TemporaryDirectory(prefix="archfit-bench-") as tmp:
        root = Path(tmp)
        files = generate(root, args.objects)
        manifests = load_manifests(root)
        assert len(manifests.documents) == args.objects, len(manifests.documents)
        assert not manifests.findings, manifests.findings[:3]
        rows = []
        for label, n in [("1 process", 1), (f"{jobs} processes", jobs)][: 2 if jobs > 1 else 1]:
            colds = [cold_run(root, n) for _ in range(3)]
            rows += [
                (
                    f"archfit load_manifests, {label} (warm, best of N)",
                    best_of(args.repeat, functools.partial(load_manifests, root, jobs=n)),
                ),
                (
                    f"archfit load_manifests, {label} (cold process)",
                    (min(w for w, _ in colds), min(c for _, c in colds)),
                ),
            ]
        rows += [
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
        listed = [(p, str(p)) for p in sorted(root.rglob("*.yaml"))]
        print(
            f"left to itself archfit would now use {planned_workers(listed)} process(es) "
            f"(load average {os.getloadavg()[0]:.2f} on {jobs_setting(0)} usable CPUs)"
        )
        print(f"{'what':<58} {'wall s':>7} {'cpu s':>7} {'objects/s (wall)':>17}")
        for name, (wall, cpu) in rows:
            print(f"{name:<58} {wall:>7.3f} {cpu:>7.3f} {args.objects / wall:>17.0f}")


if __name__ == "__main__":
    main()
