"""How big the HTML report gets and how fast Chromium opens it, on the example and at scale.

- the example: `archfit report examples/homelab` (14 nodes, 26 workloads);
- at scale: the homelab's nodes copied to `--nodes N` (renamed, as in bench_check.py) and its
  workloads copied to `--workloads N` (its DaemonSets once), checked, simulated (with
  --suggest; the N−1 sweep only with `--sweep`, as the command skips it above 50 nodes) and
  rendered.

For each: the time to build the report values, to render the page, its size, and the time a real
headless Chromium takes from navigation to the load event (and until the page's script has run)
at 1280 px, best of `--repeat`. The example's page is the floor the large one is compared with.

How the large page stays loadable: every matrix row is in the document but the script shows 100
at a time; node groups of more than 120 nodes become a histogram plus their 12 busiest nodes;
findings are listed up to 200 per id and the rest counted; the sweep chart shows the 40 worst
nodes.

Run: `.venv/bin/python bench/bench_report.py [--nodes 5000] [--workloads 5000] [--repeat 3]`
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.support.chromium, and bench_check beside this file
sys.path.insert(0, str(ROOT / "bench"))

from bench_check import scaled_nodes  # noqa: E402
from tests.support.chromium import Chromium  # noqa: E402

from archfit.report.html_report import report_html  # noqa: E402
from archfit.sources import load_manifests  # noqa: E402
from archfit.usecases.report import run_report  # noqa: E402

EXAMPLE = ROOT / "examples/homelab"


def build(nodes: int | None, workloads: int | None, sweep: bool) -> tuple[str, float, float]:
    started = time.perf_counter()
    if nodes is None or workloads is None:
        inputs = run_report([EXAMPLE])
    else:
        manifests = load_manifests([EXAMPLE])
        # The DaemonSets once (each copy would add a pod on every node: 5,000 copies on
        # 5,000 nodes are millions of pods, not the cluster this measures), the rest copied.
        daemonsets = tuple(w for w in manifests.workloads if w.kind == "DaemonSet")
        base = [w for w in manifests.workloads if w.kind != "DaemonSet"]
        copies = daemonsets + tuple(
            dataclasses.replace(base[i % len(base)], name=f"{base[i % len(base)].name}-{i}")
            for i in range(workloads - len(daemonsets))
        )
        manifests = dataclasses.replace(manifests, workloads=copies)
        inputs = run_report([EXAMPLE], manifests=manifests, nodes=scaled_nodes(nodes), sweep=sweep)
    built = time.perf_counter()
    text = report_html(inputs.check, inputs.simulation, swept=inputs.swept)
    return text, built - started, time.perf_counter() - built


def load_time(browser: Chromium, path: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        tab = browser.open(path.as_uri(), width=1280)
        # `open` returns after the load event and 200 ms for late events; the latter is removed.
        best = min(best, time.perf_counter() - started - 0.2)
        assert tab.console_errors == [], tab.console_errors
        assert tab.evaluate("document.getElementById('filters').hidden") is False
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--workloads", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sweep", action="store_true", help="run the N−1 sweep at scale too")
    args = parser.parse_args()
    browser = Chromium.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for label, nodes, workloads in (
                ("example (14 nodes, 26 workloads)", None, None),
                (f"{args.nodes} nodes × {args.workloads} workloads", args.nodes, args.workloads),
            ):
                text, build_s, render_s = build(nodes, workloads, args.sweep)
                path = Path(tmp) / "report.html"
                path.write_text(text)
                size = path.stat().st_size
                load = load_time(browser, path, args.repeat)
                print(
                    f"{label}: check+simulate {build_s:.1f} s, render {render_s:.2f} s, "
                    f"{size / 1e6:.2f} MB, Chromium load {load:.2f} s (best of {args.repeat})"
                )
    finally:
        browser.close()


if __name__ == "__main__":
    main()
