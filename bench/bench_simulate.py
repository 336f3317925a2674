"""How fast `archfit simulate` places pods, and how much memory it needs.

Two runs:

1. Large: a generated cluster of 5,000 nodes (amd64 workers in 10 zones, 10 % Raspberry Pi
   arm64 workers, 3 tainted control planes) and 50,000 pods from 2,500 Deployments of 20
   replicas (so every pod gets the system default spreading, as upstream's SchedulingBasic pods
   do not), 10 % of them with an arch nodeSelector, 5 % with a preferred node affinity. The
   scheduler samples `percentageOfNodesToScore` as upstream (10 % of 5,000 nodes = 500).
   Reported: pods/s of the scheduling loop, and peak memory (tracemalloc) of the whole run.
2. Homelab: the bundled 14-node example with its workloads repeated to about 300 pods, with
   the full N-1 sweep (every node fails alone), end to end.

The upstream scheduler's CI floor for 5,000 nodes / 50,000 pods is about 800 pods/s
(scheduler_perf SchedulingBasic); archfit's budget is 2,000 pods/s, and < 1 s for the homelab
sweep.

`--compare` also runs the large case with the exact (per-node) cycle only, side by side, and
checks that both place every pod on the same node.

Run: `.venv/bin/python bench/bench_simulate.py [--nodes 5000] [--pods 50000] [--compare]`
"""

from __future__ import annotations

import argparse
import random
import resource
import time
import tracemalloc
from pathlib import Path

from archfit.model.k8s import workload_from_k8s
from archfit.model.node import Node
from archfit.model.platform import Platform
from archfit.model.profiles import build_node
from archfit.model.quantity import Quantity
from archfit.model.selectors import Taint
from archfit.model.workload import SourceRef
from archfit.scheduling.simulate import Simulation, SimulationConfig
from archfit.scheduling.whatif import fail_each

ROOT = Path(__file__).resolve().parent.parent


def _nodes(count: int) -> list[Node]:
    nodes = []
    amd64, arm64 = Platform.of("linux", "amd64"), Platform.of("linux", "arm64")
    for i in range(count):
        zone = f"zone-{i % 10}"
        if i < 3:
            nodes.append(
                build_node(
                    f"cp-{i}",
                    amd64,
                    roles=["control-plane"],
                    labels={"topology.kubernetes.io/zone": zone},
                    taints=[Taint("node-role.kubernetes.io/control-plane", "NoSchedule")],
                    allocatable={
                        "cpu": Quantity.parse("3800m"),
                        "memory": Quantity.parse("15Gi"),
                        "pods": Quantity.parse(110),
                    },
                )
            )
        elif i % 10 == 9:
            nodes.append(
                build_node(
                    f"pi-{i}",
                    arm64,
                    roles=["worker"],
                    labels={
                        "topology.kubernetes.io/zone": zone,
                        "node.kubernetes.io/instance-type": "raspberry-pi",
                    },
                    allocatable={
                        "cpu": Quantity.parse("3500m"),
                        "memory": Quantity.parse("6Gi"),
                        "pods": Quantity.parse(110),
                    },
                )
            )
        else:
            nodes.append(
                build_node(
                    f"worker-{i}",
                    amd64,
                    roles=["worker"],
                    labels={"topology.kubernetes.io/zone": zone},
                    allocatable={
                        "cpu": Quantity.parse("31800m"),
                        "memory": Quantity.parse("126Gi"),
                        "pods": Quantity.parse(110),
                    },
                )
            )
    return nodes


def _deployment(i: int, replicas: int, rng: random.Random) -> dict[str, object]:
    spec: dict[str, object] = {
        "containers": [
            {
                "name": "app",
                "image": f"registry.example/app-{i}:1.0",
                "resources": {
                    "requests": {
                        "cpu": f"{rng.choice([50, 100, 200, 250, 500])}m",
                        "memory": f"{rng.choice([64, 128, 256, 512])}Mi",
                    }
                },
            }
        ]
    }
    roll = rng.random()
    if roll < 0.10:
        spec["nodeSelector"] = {"kubernetes.io/arch": rng.choice(["amd64", "arm64"])}
    elif roll < 0.15:
        spec["affinity"] = {
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 50,
                        "preference": {
                            "matchExpressions": [
                                {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]}
                            ]
                        },
                    }
                ]
            }
        }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"app-{i}", "namespace": f"ns-{i % 50}"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": f"app-{i}"}},
            "template": {"metadata": {"labels": {"app": f"app-{i}"}}, "spec": spec},
        },
    }


def large(nodes: int, pods: int, *, traced: bool = False, fast: bool = True) -> list[str | None]:
    rng = random.Random(7)
    replicas = 20
    workloads = [
        workload_from_k8s(_deployment(i, replicas, rng), SourceRef("bench"))
        for i in range(pods // replicas)
    ]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    config = SimulationConfig(explain=False, fast=fast)
    sim = Simulation(_nodes(nodes), workloads, config=config)
    built = time.perf_counter()
    results = sim.run()
    done = time.perf_counter()
    placed = sum(1 for r in results if r.node is not None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    label = "large" if fast else "large (exact cycle)"
    print(
        f"{label}: {nodes} nodes, {len(results)} pods ({placed} placed) in {done - built:.1f} s "
        f"= {len(results) / (done - built):,.0f} pods/s (setup {built - start:.2f} s); "
        f"peak RSS {peak / 1024:.0f} MiB (was {before / 1024:.0f} MiB before the run)"
    )
    if traced:
        # Python-level allocations, measured separately: tracemalloc slows allocation down.
        del sim, results
        tracemalloc.start()
        sim = Simulation(_nodes(nodes), workloads, config=config)
        results = sim.run()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{label}: peak traced Python memory {top / 2**20:.0f} MiB")
    return [r.node for r in results]


def homelab() -> None:
    from archfit.sources import load_inventory, load_manifests

    example = ROOT / "examples" / "homelab"
    manifests = load_manifests([example])
    nodes = load_inventory(example / "cluster.yaml").nodes
    base = [w for w in manifests.workloads if w.kind != "DaemonSet"]
    daemons = [w for w in manifests.workloads if w.kind == "DaemonSet"]
    workloads = list(daemons)
    copies = 0
    while len(workloads) < 300 - len(daemons) * 13 and copies < 20:
        workloads += [
            type(w)(
                **{
                    **{f: getattr(w, f) for f in w.__dataclass_fields__},
                    "name": f"{w.name}-{copies}",
                }
            )
            for w in base
        ]
        copies += 1
    start = time.perf_counter()
    sim = Simulation(nodes, workloads)
    results = sim.run()
    placed = time.perf_counter()
    sweep = fail_each(sim)
    done = time.perf_counter()
    print(
        f"homelab: {len(nodes)} nodes, {len(results)} pods placed in {placed - start:.3f} s; "
        f"N-1 sweep ({len(sweep)} failures) in {done - placed:.3f} s; total {done - start:.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=50000)
    parser.add_argument(
        "--traced", action="store_true", help="also measure peak Python memory (tracemalloc)"
    )
    parser.add_argument(
        "--compare", action="store_true", help="also run the exact cycle and compare placements"
    )
    args = parser.parse_args()
    homelab()
    placed = large(args.nodes, args.pods, traced=args.traced)
    if args.compare:
        exact = large(args.nodes, args.pods, fast=False)
        same = sum(a == b for a, b in zip(placed, exact, strict=True))
        print(f"compare: {same} of {len(exact)} pods on the same node in both cycles")


if __name__ == "__main__":
    main()
