"""Run time of `archfit check` on each real repository in ../shared/fixtures/gitops.

For each repository: the wall time of the `archfit check` command (a fresh process, as a user
runs it: imports, reading, rendering where a renderer is available, policy, report), best of N,
beside a floor: a fresh Python process decoding the same YAML files with PyYAML's libyaml
loader (no model, no policy). The machine is shared: compare the two columns, not runs on
different days.

Run: `.venv/bin/python bench/bench_shared_repos.py [--repeat 3] [--shared ../shared]`
Budget: under 3 s per repository.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = """
import sys, pathlib, yaml
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
for p in pathlib.Path(sys.argv[1]).rglob("*.y*ml"):
    try:
        list(yaml.load_all(p.read_text(), Loader=loader))
    except Exception:
        pass
"""


def _best(args: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=False)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    options = parser.parse_args()
    repos = sorted(p for p in (options.shared / "fixtures" / "gitops").iterdir() if p.is_dir())
    archfit = str(ROOT / ".venv" / "bin" / "archfit")
    print(f"{'repository':28} {'archfit check':>14} {'yaml floor':>11}")
    for repo in repos:
        check = _best([archfit, "check", str(repo), "--format", "json"], options.repeat)
        floor = _best([sys.executable, "-c", FLOOR, str(repo)], options.repeat)
        print(f"{repo.name:28} {check:13.2f}s {floor:10.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
