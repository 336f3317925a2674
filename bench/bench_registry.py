"""How fast and how frugally archfit resolves image platforms, beside skopeo, in one run.

Starts Debian's docker-registry on 127.0.0.1 (port 0, access log on), pushes N distinct images
through its HTTP API (a mix of OCI indexes with attestation entries, Docker manifest lists and
single-platform OCI/Docker images), then resolves all N:

- archfit cold: an empty cache directory, one resolver (HEAD per tag, one manifest GET per
  image, plus the config blob for single-platform images);
- archfit warm: the same cache directory, a new resolver each time, best of 3 (no request
  expected);
- `skopeo inspect --raw` for every image, sequentially and 8 in parallel (one process per
  image, as scripts and pipelines call it).

Requests are counted from the registry's access log between phases, so archfit and skopeo are
measured by the same meter; CPU time is measured for the tool (this process, or the skopeo
processes) and for the registry process, per image — a figure that holds on a busy machine,
where wall-clock throughput mostly measures the other processes. Prints one table.

Run: `.venv/bin/python bench/bench_registry.py [--images 1000] [--skopeo-images N] [--tls]`
(`--tls` serves the registry over TLS with a CA made for the run, as real registries are: each
skopeo process then pays a handshake, archfit one per connection.)
Targets: archfit cold ≥ 10× the throughput of parallel skopeo; warm ≥ 10,000 images/s;
≤ 1 manifest GET per image cold (+1 config blob GET for single-platform images), 0 warm.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.integration.registry.pushing import Pusher, push_index, push_single  # noqa: E402
from tests.integration.registry.support import RegistryProcess, make_ca  # noqa: E402

from archfit.model.image import ImageRef  # noqa: E402
from archfit.registry import ResolverConfig, open_resolver  # noqa: E402

SINGLE_PLATFORMS = [("amd64", ""), ("arm64", ""), ("arm", "v7"), ("arm", "v6")]
INDEX_PLATFORMS = [
    ["linux/amd64", "linux/arm64"],
    ["linux/amd64", "linux/arm64", "linux/arm/v7"],
    ["linux/amd64", "windows/amd64"],
]


TLS: dict[str, Path] = {}  # "ca" and "cert_dir" when --tls is given


def push_all(host: str, count: int, workers: int = 8) -> list[str]:
    """Push `count` distinct images; returns their references (half indexes or lists, half
    single-platform)."""
    repos = max(1, count // 100)

    def push_one(n: int) -> str:
        pusher = _pushers[n % workers]
        repo = f"bench/app{n % repos}"
        tag = f"v{n}"
        kind = n % 4
        if kind == 0:
            push_index(pusher, repo, tag, INDEX_PLATFORMS[n % 3], attestations=True, salt=str(n))
        elif kind == 1:
            push_index(pusher, repo, tag, INDEX_PLATFORMS[n % 3], docker=True, salt=str(n))
        else:
            arch, variant = SINGLE_PLATFORMS[n % len(SINGLE_PLATFORMS)]
            push_single(
                pusher, repo, tag, arch=arch, variant=variant, docker=kind == 3, salt=f"img{n}"
            )
        return f"{host}/{repo}:{tag}"

    if TLS:
        context = ssl.create_default_context(cafile=str(TLS["ca"]))
        _pushers = [Pusher(f"https://{host}", verify=context) for _ in range(workers)]
    else:
        _pushers = [Pusher(f"http://{host}") for _ in range(workers)]
    try:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(push_one, range(count)))
    finally:
        for pusher in _pushers:
            pusher.close()


def count_requests(log: list[tuple[str, str, int]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for method, path, _ in log:
        if "/manifests/" in path:
            counts[f"{method} manifest"] += 1
        elif "/blobs/" in path:
            counts[f"{method} blob"] += 1
        else:
            counts[f"{method} other"] += 1
    return counts


async def archfit_resolve(refs: list[str], cache_dir: Path) -> tuple[float, float, int]:
    """(seconds for resolve_many, seconds including setup and teardown, failures)."""
    started = time.perf_counter()
    config = ResolverConfig(
        cache_dir=cache_dir,
        docker_config=cache_dir / "no-config.json",
        ca_file=str(TLS["ca"]) if TLS else None,
    )
    parsed = [ImageRef.parse(r) for r in refs]
    async with open_resolver(config) as resolver:
        t0 = time.perf_counter()
        results = await resolver.resolve_many(parsed)
        resolve_time = time.perf_counter() - t0
    total = time.perf_counter() - started
    return resolve_time, total, sum(1 for r in results if not r.ok)


def settled_log(registry: RegistryProcess) -> list[tuple[str, str, int]]:
    """The access log once it stops growing (lines are written after each response)."""
    previous = registry.access_log()
    while True:
        time.sleep(0.2)
        current = registry.access_log()
        if len(current) == len(previous):
            return current
        previous = current


def own_cpu() -> float:
    """CPU seconds of this process and of its finished children (the skopeo processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def process_cpu(registry: RegistryProcess) -> float:
    assert registry.process is not None
    fields = Path(f"/proc/{registry.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def skopeo_one(ref: str) -> bool:
    done = subprocess.run(
        [
            "skopeo",
            "inspect",
            "--raw",
            *(["--cert-dir", str(TLS["cert_dir"])] if TLS else ["--tls-verify=false"]),
            f"docker://{ref}",
        ],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def skopeo_all(refs: list[str], parallel: int) -> tuple[float, int]:
    started = time.perf_counter()
    if parallel == 1:
        ok = [skopeo_one(r) for r in refs]
    else:
        with ThreadPoolExecutor(parallel) as pool:
            ok = list(pool.map(skopeo_one, refs))
    return time.perf_counter() - started, ok.count(False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument(
        "--tls", action="store_true", help="serve the registry over TLS (a CA made for the run)"
    )
    parser.add_argument(
        "--skopeo-images", type=int, default=None, help="how many images skopeo resolves"
    )
    args = parser.parse_args()
    if not shutil.which("skopeo"):
        sys.exit("skopeo is not installed (scripts/test installs it)")
    work = Path(tempfile.mkdtemp(prefix="archfit-bench-registry-"))
    tls = None
    if args.tls:
        certs = make_ca(work / "certs")
        cert_dir = work / "skopeo-certs"
        cert_dir.mkdir()
        shutil.copy(certs.ca_cert, cert_dir / "ca.crt")  # skopeo reads *.crt as CAs
        TLS.update(ca=certs.ca_cert, cert_dir=cert_dir)
        tls = (certs.server_cert, certs.server_key)
    registry = RegistryProcess(work / "registry", tls=tls).start()
    try:
        t0 = time.perf_counter()
        refs = push_all(registry.host, args.images)
        pushed = time.perf_counter() - t0
        singles = sum(1 for n in range(args.images) if n % 4 >= 2)
        print(
            f"pushed {len(refs)} images ({len(refs) - singles} indexes/lists, {singles} "
            f"single-platform) to {registry.host} in {pushed:.1f}s; cpus={os.cpu_count()}"
        )
        rows: list[tuple[str, int, float, float, Counter[str], int, float, float]] = []
        load = os.getloadavg()[0]
        print(f"load average before measuring: {load:.2f} (the machine has {os.cpu_count()} cpus)")

        def phase(name: str, count: int, run: object, repeat: int = 1) -> None:
            before = len(registry.access_log())
            cpu_before, registry_before = own_cpu(), process_cpu(registry)
            seconds, failures = run()  # type: ignore[operator]
            client_ms = (own_cpu() - cpu_before) * 1000 / count / repeat
            registry_ms = (process_cpu(registry) - registry_before) * 1000 / count / repeat
            log = settled_log(registry)[before:]
            rows.append(
                (
                    name,
                    count,
                    seconds,
                    count / seconds,
                    count_requests(log),
                    failures,
                    client_ms,
                    registry_ms,
                )
            )

        cache = work / "cache"
        timings: dict[str, float] = {}

        def archfit_phase(key: str, repeat: int) -> tuple[float, int]:
            best = None
            for _ in range(repeat):
                resolve_time, total, failures = asyncio.run(archfit_resolve(refs, cache))
                if best is None or resolve_time < best[0]:
                    best = (resolve_time, failures)
                    timings[key] = total
            assert best is not None
            return best

        phase("archfit cold", len(refs), lambda: archfit_phase("cold", 1))
        phase("archfit warm", len(refs), lambda: archfit_phase("warm", 3), repeat=3)
        skopeo_refs = refs[: args.skopeo_images or len(refs)]
        phase("skopeo --raw x8", len(skopeo_refs), lambda: skopeo_all(skopeo_refs, 8))
        phase("skopeo --raw seq", len(skopeo_refs), lambda: skopeo_all(skopeo_refs, 1))
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)

    header = (
        f"{'tool':<18}{'images':>7}{'seconds':>9}{'images/s':>10}"
        f"{'HEAD/img':>9}{'GET man/img':>12}{'GET blob/img':>13}{'failed':>7}"
        f"{'tool CPU ms/img':>16}{'registry CPU ms/img':>20}"
    )
    print(header)
    print("-" * len(header))
    for name, count, seconds, rate, counts, failures, client_ms, registry_ms in rows:
        runs = 3 if name == "archfit warm" else 1
        print(
            f"{name:<18}{count:>7}{seconds:>9.3f}{rate:>10.0f}"
            f"{counts['HEAD manifest'] / count / runs:>9.2f}"
            f"{counts['GET manifest'] / count / runs:>12.2f}"
            f"{counts['GET blob'] / count / runs:>13.2f}{failures:>7}"
            f"{client_ms:>16.2f}{registry_ms:>20.2f}"
        )
    print(f"load average after measuring: {os.getloadavg()[0]:.2f}")
    cold, warm, par = rows[0], rows[1], rows[2]
    cpu_ratio = (par[6] + par[7]) / (cold[6] + cold[7])
    print(
        f"\narchfit cold / skopeo x8: {cold[3] / par[3]:.1f}x (target >= 10x); CPU per image "
        f"(tool + registry) skopeo/archfit cold: {cpu_ratio:.1f}x; "
        f"warm {warm[3]:.0f} images/s (target >= 10000; with resolver setup and teardown "
        f"{warm[1] / timings['warm']:.0f}/s); "
        f"cold manifest GETs/image {rows[0][4]['GET manifest'] / cold[1]:.2f}, "
        f"blob GETs per single-platform image {rows[0][4]['GET blob'] / singles:.2f}; "
        f"warm requests {sum(warm[4].values())}"
    )


if __name__ == "__main__":
    main()
