"""Live-cluster commands on a cluster of 5,000 nodes and 50,000 pods, beside kubectl.

The recorded kube-apiserver responses (../shared/fixtures/apiserver) are scaled up by cloning
their items with new names (nodes, pods bound round-robin to the nodes, Deployments and their
ReplicaSets) and served, paginated 500 per page with continue tokens, by the loopback replay
server the tests use (TLS, bearer token). Each measured command runs in its own process; its
wall time and peak RSS (from wait4) are reported:

- `archfit snapshot -o FILE` (streams every page to the file);
- the live collection behind `check --live` (`archfit.usecases.live.read_live` + live findings);
- peer: `kubectl get nodes,deployments,…,pods -A -o yaml > FILE` (when kubectl is installed).

Run: .venv/bin/python bench/bench_kube.py [--nodes 5000] [--pods 50000]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.integration.kube.replay import (  # noqa: E402
    ReplayServer,
    Response,
    make_certs,
    write_kubeconfig,
)

FIXTURES = Path(os.environ.get("ARCHFIT_SHARED", ROOT.parent / "shared")) / "fixtures" / "apiserver"
PAGE = 500


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def _clone(items: list[dict[str, Any]], count: int, rename: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        item = copy.deepcopy(items[i % len(items)])
        rename(item, i)
        meta = item["metadata"]
        meta["uid"] = str(uuid.UUID(int=i + 1))
        out.append(item)
    return out


def _pages(
    server: ReplayServer,
    path: str,
    list_kind: str,
    items: list[dict[str, Any]],
    api_version: str = "v1",
) -> None:
    total = len(items)
    for start in range(0, max(total, 1), PAGE):
        chunk = items[start : start + PAGE]
        meta: dict[str, Any] = {"resourceVersion": "700"}
        nxt = start + PAGE
        if nxt < total:
            meta["continue"] = f"page-{nxt}"
            meta["remainingItemCount"] = total - nxt
        body = json.dumps(
            {"kind": list_kind, "apiVersion": api_version, "metadata": meta, "items": chunk},
            separators=(",", ":"),
        ).encode()
        query = {"limit": str(PAGE)}
        if start:
            query["continue"] = f"page-{start}"
        server.add("GET", path, query, Response(200, body, chunked=True), first=True)


def build(server: ReplayServer, nodes: int, pods: int) -> dict[str, int]:
    node_items = _load("nodes.json")["items"]

    def rename_node(item: dict[str, Any], i: int) -> None:
        name = f"node-{i:05d}"
        item["metadata"]["name"] = name
        item["metadata"].setdefault("labels", {})["kubernetes.io/hostname"] = name

    scaled_nodes = _clone(node_items, nodes, rename_node)
    _pages(server, "/api/v1/nodes", "NodeList", scaled_nodes)

    deployments = max(pods // 10, 1)
    dep_items = _load("deployments.json")["items"]
    rs_items = _load("replicasets.json")["items"]
    rs_items = [
        r
        for r in rs_items
        if (r["metadata"].get("ownerReferences") or [{}])[0].get("kind") == "Deployment"
    ]

    def rename_dep(item: dict[str, Any], i: int) -> None:
        item["metadata"]["name"] = f"app-{i:05d}"

    def rename_rs(item: dict[str, Any], i: int) -> None:
        item["metadata"]["name"] = f"app-{i:05d}-5d8f7"
        item["metadata"]["ownerReferences"][0]["name"] = f"app-{i:05d}"

    _pages(
        server,
        "/apis/apps/v1/deployments",
        "DeploymentList",
        _clone(dep_items, deployments, rename_dep),
        "apps/v1",
    )
    _pages(
        server,
        "/apis/apps/v1/replicasets",
        "ReplicaSetList",
        _clone(rs_items, deployments, rename_rs),
        "apps/v1",
    )

    pod_items = [p for p in _load("pods.json")["items"] if p["spec"].get("nodeName")]

    def rename_pod(item: dict[str, Any], i: int) -> None:
        dep = i // 10
        item["metadata"]["name"] = f"app-{dep:05d}-5d8f7-{i:06d}"
        item["metadata"]["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": f"app-{dep:05d}-5d8f7",
                "uid": "0",
                "controller": True,
            }
        ]
        item["spec"]["nodeName"] = f"node-{i % nodes:05d}"

    _pages(server, "/api/v1/pods", "PodList", _clone(pod_items, pods, rename_pod))
    return {"nodes": nodes, "pods": pods, "deployments": deployments}


# Runs the command as its child and reports the child's peak RSS: measuring through a small
# launcher keeps the benchmark process's own memory (the scaled pages) out of the figure, which
# a forked child would otherwise inherit in ru_maxrss until it execs.
LAUNCHER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=sys.stdout, stderr=sys.stderr)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": time.perf_counter() - start, "maxrss_kb": usage.ru_maxrss,
                  "exit": code}), file=open(sys.stderr.fileno(), "w", closefd=False))
"""


def measure(name: str, argv: list[str], env: dict[str, str], stdout: Any = None) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *argv],
        env=env,
        stdout=stdout or subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    lines = proc.stderr.decode().strip().splitlines()
    try:
        stats = json.loads(lines[-1])
    except (IndexError, ValueError):  # the launcher itself was killed
        return {"name": name, "exit": proc.returncode, "stderr": lines[-3:]}
    return {
        "name": name,
        "seconds": round(stats["seconds"], 2),
        "peak_rss_mb": round(stats["maxrss_kb"] / 1024, 1),
        "exit": stats["exit"],
        "stderr": lines[-4:-1],
    }


LIVE = """
import asyncio, sys
from pathlib import Path
from archfit.usecases.live import collect_live
live = asyncio.run(collect_live(kubeconfig=Path(sys.argv[1])))
ms = live.cluster.manifests
print(len(ms.nodes), "nodes,", len(live.cluster.pods), "pods,", len(ms.workloads), "workloads,",
      len(live.findings), "live findings")
"""


# The floor: the same requests and decoding, nothing done with the objects.
LIST_ONLY = """
import asyncio, sys
from pathlib import Path
from archfit.kube.client import KubeApi
from archfit.kube.collect import SNAPSHOT_RESOURCES
from archfit.kube.config import load_target
from archfit.kube.errors import NotFound

async def main():
    n = 0
    async with KubeApi(load_target(kubeconfig=Path(sys.argv[1]))) as api:
        for plural in (*SNAPSHOT_RESOURCES, "events"):
            try:
                async for _ in api.list(plural):
                    n += 1
            except NotFound:
                pass
    print(n, "objects")

asyncio.run(main())
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=50000)
    parser.add_argument("--no-peer", action="store_true", help="Skip kubectl.")
    parser.add_argument(
        "--with-check",
        action="store_true",
        help="Also time the whole `archfit check --live` (collection + policy over every node).",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="archfit-bench-kube-"))
    certs = make_certs(work)
    results = []
    with ReplayServer.start(FIXTURES, certs) as server:
        t0 = time.perf_counter()
        sizes = build(server, args.nodes, args.pods)
        print(
            f"built {sizes} in {time.perf_counter() - t0:.1f}s; serving at {server.url}",
            file=sys.stderr,
        )
        kubeconfig = write_kubeconfig(work / "kubeconfig", server.url, certs)
        env = {**os.environ, "KUBECACHEDIR": str(work / "kubecache"), "HOME": str(work)}
        py = sys.executable
        snapshot = work / "snapshot.yaml"
        results.append(
            measure(
                "archfit snapshot",
                [
                    py,
                    "-m",
                    "archfit.cli.main",
                    "snapshot",
                    "--kubeconfig",
                    str(kubeconfig),
                    "-o",
                    str(snapshot),
                ],
                env,
            )
        )
        results[-1]["output_mb"] = (
            round(snapshot.stat().st_size / 2**20, 1) if snapshot.exists() else None
        )
        with (work / "live.txt").open("w") as out:
            results.append(
                measure(
                    "archfit live collection (check --live inputs)",
                    [py, "-c", LIVE, str(kubeconfig)],
                    env,
                    out,
                )
            )
        results[-1]["counts"] = (work / "live.txt").read_text().strip()
        if args.with_check:
            results.append(
                measure(
                    "archfit check --live --format json",
                    [
                        py,
                        "-m",
                        "archfit.cli.main",
                        "check",
                        "--live",
                        "--kubeconfig",
                        str(kubeconfig),
                        "--format",
                        "json",
                    ],
                    {**env, "PWD": str(work)},
                )
            )
        with (work / "list.txt").open("w") as out:
            results.append(
                measure(
                    "list only (floor: requests + decoding)",
                    [py, "-c", LIST_ONLY, str(kubeconfig)],
                    env,
                    out,
                )
            )
        results[-1]["counts"] = (work / "list.txt").read_text().strip()
        kubectl = shutil.which("kubectl")
        if kubectl and not args.no_peer:
            with (work / "kubectl.yaml").open("w") as out:
                results.append(
                    measure(
                        "kubectl get … -o yaml (peer)",
                        [
                            kubectl,
                            "--kubeconfig",
                            str(kubeconfig),
                            "get",
                            "-A",
                            "-o",
                            "yaml",
                            "nodes,deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs,"
                            "pods,persistentvolumeclaims,persistentvolumes,storageclasses,"
                            "poddisruptionbudgets",
                        ],
                        env,
                        out,
                    )
                )
            results[-1]["output_mb"] = round((work / "kubectl.yaml").stat().st_size / 2**20, 1)
        requests = len(server.received)
    print(
        json.dumps(
            {"cluster": sizes, "page": PAGE, "requests": requests, "results": results}, indent=2
        )
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
