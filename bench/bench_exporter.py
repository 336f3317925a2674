"""`archfit exporter` on a cluster of 5,000 nodes and 50,000 pods.

The recorded kube-apiserver responses are scaled up exactly as in bench_kube.py (nodes cloned
with new names, pods bound round-robin to them, Deployments and ReplicaSets) and served, 500 per
page, by the loopback replay server the tests use (TLS, bearer token). One child process (so that
its peak RSS is its own) then:

- initial sync: `Exporter.prime()` (what the server runs first) — every page of nodes,
  ReplicaSets, Jobs, DaemonSets, pods and events listed and folded into the view; wall time
  and peak RSS after it;
- scrape: `generate_latest` of the exporter's registry (median of 20), beside the floor:
  prometheus-client exposing the same number of series from a trivial collector that holds
  ready-made families (what exposition alone costs);
- watch events: MODIFIED pod events (readiness flips and crash loops with `exec format error`
  on existing pods, cycling over 2,000 distinct objects) applied with `ClusterView.apply`,
  beside a peer: converting each event's pod with its template (`pod_state_from_k8s(...,
  with_template=True)`), what a view that converted every pod's spec would pay.

Budgets (from the design): scrape < 100 ms, ≥ 5,000 events/s.

Run: .venv/bin/python bench/bench_exporter.py [--nodes 5000] [--pods 50000] [--events 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_kube  # noqa: E402
from tests.integration.kube.replay import (  # noqa: E402
    ReplayServer,
    make_certs,
    write_kubeconfig,
)

CHILD = r"""
import asyncio, copy, json, resource, statistics, sys, time
from pathlib import Path
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import CollectorRegistry
from archfit.kube.client import KubeApi, WatchEvent
from archfit.kube.config import load_target
from archfit.model.k8s_live import pod_state_from_k8s
from archfit.model.workload import SourceRef
from archfit.service.exporter.server import Exporter
from archfit.service.exporter.view import ClusterView

kubeconfig, pods_file = Path(sys.argv[1]), Path(sys.argv[2])
nodes, events = int(sys.argv[3]), int(sys.argv[4])
out = {}

async def sync():
    async with KubeApi(load_target(kubeconfig=kubeconfig)) as api:
        exporter = Exporter(api, ClusterView())
        start = time.perf_counter()
        await exporter.prime()
        out["initial_sync_s"] = round(time.perf_counter() - start, 2)
    return exporter

exporter = asyncio.run(sync())
view = exporter.view
out["peak_rss_after_sync_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
out["view"] = {"nodes": len(view.nodes), "pods": len(view.pods)}

def median_ms(fn, n=20):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 2)

registry = exporter.registry()
body = generate_latest(registry)
series = [l for l in body.decode().splitlines() if l and not l.startswith("#")]
out["series"] = len(series)
out["scrape_ms"] = median_ms(lambda: generate_latest(registry))

class Ready:
    def __init__(self, count):
        self.families = []
        per = 50
        for f in range(count // per + 1):
            fam = GaugeMetricFamily(f"floor_family_{f}", "floor", labels=["a", "b"])
            for i in range(min(per, count - f * per)):
                fam.add_metric([f"x{i}", "y"], float(i))
            self.families.append(fam)
    def collect(self):
        return iter(self.families)
    def describe(self):
        return []

floor = CollectorRegistry(auto_describe=False)
floor.register(Ready(len(series)))
out["floor_scrape_ms"] = median_ms(lambda: generate_latest(floor))

template = json.loads(pods_file.read_text())
bound = [p for p in template["items"]
         if p["spec"].get("nodeName") and p["status"].get("containerStatuses")]
objs = []
for i in range(2000):
    pod = copy.deepcopy(bound[i % len(bound)])
    dep = i // 10
    pod["kind"], pod["apiVersion"] = "Pod", "v1"
    pod["metadata"]["name"] = f"app-{dep:05d}-5d8f7-{i:06d}"
    pod["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "name": f"app-{dep:05d}-5d8f7", "uid": "0", "controller": True}]
    pod["spec"]["nodeName"] = f"node-{i % nodes:05d}"
    status = pod["status"]["containerStatuses"][0]
    if i % 2:
        status["ready"] = False
        status["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}
        status["lastState"] = {"terminated": {"exitCode": 255, "reason": "Error",
                               "message": "exec /app: exec format error"}}
    objs.append(pod)
stream = [WatchEvent("MODIFIED", objs[i % len(objs)], str(1000 + i)) for i in range(events)]
start = time.perf_counter()
for event in stream:
    view.apply("pods", event)
elapsed = time.perf_counter() - start
out["events_per_s"] = round(events / elapsed)
source = SourceRef("bench")
start = time.perf_counter()
for event in stream:
    pod_state_from_k8s(event.object, source, with_template=True)
out["peer_template_conversion_events_per_s"] = round(events / (time.perf_counter() - start))
out["scrape_ms_after_events"] = median_ms(lambda: generate_latest(registry))
print(json.dumps(out))
"""


def _empty(server: ReplayServer, path: str, kind: str, api_version: str) -> None:
    bench_kube._pages(server, path, kind, [], api_version)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=50000)
    parser.add_argument("--events", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        certs = make_certs(work)
        server = ReplayServer.start(bench_kube.FIXTURES, certs)
        try:
            server.routes.clear()
            counts = bench_kube.build(server, args.nodes, args.pods)
            _empty(server, "/apis/batch/v1/jobs", "JobList", "batch/v1")
            _empty(server, "/apis/apps/v1/daemonsets", "DaemonSetList", "apps/v1")
            _empty(server, "/api/v1/events", "EventList", "v1")
            kubeconfig = write_kubeconfig(work / "kubeconfig", server.url, certs)
            env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
            proc = bench_kube.measure(
                "exporter",
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    str(kubeconfig),
                    str(bench_kube.FIXTURES / "pods.json"),
                    str(args.nodes),
                    str(args.events),
                ],
                env,
                stdout=(work / "out.json").open("w"),
            )
        finally:
            server.stop()
        report = {
            "cluster": counts,
            "process": proc,
            "exporter": json.loads((work / "out.json").read_text() or "{}"),
            "load": os.getloadavg(),
            "cpus": os.cpu_count(),
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
