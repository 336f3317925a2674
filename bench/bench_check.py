"""How fast the placement policy evaluates workloads, and the whole `archfit check` end to end.

- policy: the homelab inventory (14 nodes, or `--nodes N` copies of them under new names and
  hostnames) and N synthetic workloads built from the bundled example's 26 (copies under new
  names), evaluated by `Engine` with the example's lockfile: the cost per workload of every rule
  plus the scheduler filters on every node, and the peak RSS of the process afterwards;
- end to end: `archfit check examples/homelab` in a fresh interpreter (imports, reading, policy,
  text rendering), best of N.

There is no peer tool that computes placements offline, so the figures stand alone.

Run: `.venv/bin/python bench/bench_check.py [--workloads 10000] [--nodes 14] [--repeat 5]`
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import subprocess
import sys
import time
from pathlib import Path

from archfit.model.node import HOSTNAME_LABEL, Node
from archfit.policy import Engine, LockfileImages, Settings, StorageIndex
from archfit.sources import load_inventory, load_manifests, read_lockfile
from archfit.usecases.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples/homelab"


def scaled_nodes(count: int) -> list[Node]:
    """The homelab's nodes, or `count` copies of them renamed `node-00000`…"""
    nodes = load_inventory(EXAMPLE / "cluster.yaml").nodes
    if count == len(nodes):
        return list(nodes)
    out = []
    for i in range(count):
        base = nodes[i % len(nodes)]
        name = f"node-{i:05d}"
        labels = {**base.labels, HOSTNAME_LABEL: name}
        out.append(dataclasses.replace(base, name=name, labels=labels))
    return out


def bench_policy(count: int, node_count: int, repeat: int) -> float:
    manifests = load_manifests([EXAMPLE])
    base = manifests.workloads
    workloads = [
        dataclasses.replace(base[i % len(base)], name=f"{base[i % len(base)].name}-{i}")
        for i in range(count)
    ]
    nodes = scaled_nodes(node_count)
    settings: Settings = load_settings(EXAMPLE / "archfit.yaml")
    images = LockfileImages(read_lockfile(EXAMPLE / "archfit.lock"))
    best = float("inf")
    for _ in range(repeat):
        engine = Engine(
            settings,
            images,
            nodes,
            storage=StorageIndex.of(manifests.pvcs, manifests.storage_classes),
        )
        start = time.perf_counter()
        # Kept, as `archfit check` keeps them for its report: the peak RSS counts them.
        verdicts = [engine.evaluate(workload) for workload in workloads]
        best = min(best, time.perf_counter() - start)
        del verdicts
    return best


def _fresh(argv: list[str], repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (user + system) of `argv` in fresh processes; the CPU
    figure is the one to read on a loaded machine, where wall time is mostly waiting."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, cwd=ROOT)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return best_wall, best_cpu


def bench_cli(repeat: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The installed console script on the README's first command (offline, as the README
    runs it), beside the floor of a fresh interpreter that only imports the CLI's module."""
    script = str(Path(sys.executable).with_name("archfit"))
    check = _fresh([script, "check", str(EXAMPLE), "--fail-on", "never", "--offline"], repeat)
    floor = _fresh([sys.executable, "-c", "import archfit.cli.main"], repeat)
    return check, floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workloads", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=14)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    seconds = bench_policy(args.workloads, args.nodes, args.repeat)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"policy: {args.workloads} workloads x {args.nodes} nodes in {seconds:.2f} s "
        f"({seconds / args.workloads * 1e6:.0f} us per workload), best of {args.repeat}; "
        f"peak RSS {peak:.0f} MB"
    )
    (wall, cpu), (floor_wall, floor_cpu) = bench_cli(args.repeat)
    print(
        f"archfit check examples/homelab (fresh process): {wall:.2f} s wall, {cpu:.2f} s CPU; "
        f"floor (interpreter importing the CLI): {floor_wall:.2f} s wall, {floor_cpu:.2f} s CPU; "
        f"best of {args.repeat}"
    )


if __name__ == "__main__":
    main()
