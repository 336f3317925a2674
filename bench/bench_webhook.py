"""The admission webhook under load, beside a do-nothing ASGI endpoint on the same server stack.

Warm: every image of the recorded Pod bodies (../shared/fixtures/admission/requests, the Pod
CREATEs) is in the lockfile, so no registry is asked (the figure is checked on /metrics). Each
server runs in its own process — `archfit webhook --cluster nodes.yaml --lock archfit.lock`
over TLS, and the floor: uvicorn with the same TLS context and an ASGI app that answers every
POST with a fixed `allowed: true` review — and the load generator (an async httpx2 client,
open loop: request i is sent at t0 + i/rate whether or not earlier ones have returned, over
`--connections` keep-alive connections) runs on the same machine. Reported per target: latency
p50/p99/max (client side, send to full body), achieved rate, server CPU per request (utime +
stime of the server process from /proc, divided by requests), and errors.

With `--generator wrk` (Debian's `wrk`, `apt-get install wrk`; much lighter than a Python
client) the load is closed-loop instead: `--connections` connections on one wrk thread send as
fast as answers come back, so the figures are the saturation rate and its latencies (wrk 4 has no
fixed-rate mode).

Run: .venv/bin/python bench/bench_webhook.py [--rate 1000] [--seconds 10] [--connections 16]
     .venv/bin/python bench/bench_webhook.py --generator wrk [--seconds 10] [--connections 4]
     .venv/bin/python bench/bench_webhook.py --fuzz 10000   # the admission fuzz, 10,000 cases
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.integration.webhook.running import make_certs  # noqa: E402

SHARED = Path(os.environ.get("ARCHFIT_SHARED", ROOT.parent / "shared"))
REQUESTS = SHARED / "fixtures" / "admission" / "requests"
NODES = SHARED / "fixtures" / "scheduler" / "cases" / "01-arch-required-affinity" / "nodes.yaml"
FLOOR_ANSWER = (
    b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",'
    b'"response":{"uid":"x","allowed":true}}'
)


def floor_app() -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": FLOOR_ANSWER})

    return app


def serve_floor(port: int, cert: str, key: str) -> None:
    import uvicorn

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    config = uvicorn.Config(
        floor_app(),
        host="127.0.0.1",
        port=port,
        ssl_context_factory=lambda _c, _d: context,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    uvicorn.Server(config).run()


def pod_bodies() -> list[bytes]:
    return [p.read_bytes() for p in sorted(REQUESTS.glob("*-mutate-Pod-CREATE.json"))]


def write_lock(path: Path, bodies: list[bytes]) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from archfit.service.webhook.brain import images_in

    refs = sorted({str(r) for b in bodies for r in images_in(json.loads(b))})
    lines = ["apiVersion: archfit.dev/v1alpha1", "kind: ImageLock", "images:"]
    for i, ref in enumerate(refs):
        platforms = ["linux/amd64"] if i % 2 else ["linux/amd64", "linux/arm64"]
        lines += [
            f"  {ref}:",
            f"    digest: sha256:{i:064x}",
            "    kind: index",
            "    platforms:",
            *(f"    - {p}" for p in platforms),
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_up(port: int, ca: Path, proc: subprocess.Popen[bytes]) -> None:
    import httpx2

    deadline = time.monotonic() + 30
    context = ssl.create_default_context(cafile=str(ca))
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            httpx2.get(f"https://127.0.0.1:{port}/healthz", verify=context, timeout=1)
            return
        except httpx2.HTTPError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


async def load(  # noqa: PLR0917 - one call site, positional for brevity
    url: str, ca: Path, bodies: list[bytes], rate: float, seconds: float, connections: int
) -> dict[str, Any]:
    import httpx2

    context = ssl.create_default_context(cafile=str(ca))
    limits = httpx2.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)
    async with httpx2.AsyncClient(verify=context, limits=limits, timeout=10) as client:
        # warm-up: open the connections, fill the memo
        await asyncio.gather(
            *(
                client.post(
                    url,
                    content=bodies[i % len(bodies)],
                    headers={"content-type": "application/json"},
                )
                for i in range(connections * 4)
            )
        )

        async def one(i: int, at: float) -> None:
            nonlocal errors
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            started = time.perf_counter()
            try:
                response = await client.post(
                    url,
                    content=bodies[i % len(bodies)],
                    headers={"content-type": "application/json"},
                )
                if response.status_code != 200:
                    errors += 1
            except httpx2.HTTPError:
                errors += 1
                return
            latencies.append(time.perf_counter() - started)

        t0 = time.perf_counter() + 0.05
        started = time.perf_counter()
        await asyncio.gather(*(one(i, t0 + i / rate) for i in range(total)))
        wall = time.perf_counter() - started
    latencies.sort()

    def pct(q: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
            if latencies
            else float("nan")
        )

    return {
        "requests": total,
        "errors": errors,
        "rate": total / wall,
        "p50": pct(0.50),
        "p99": pct(0.99),
        "max": latencies[-1] * 1000 if latencies else float("nan"),
    }


WRK_SCRIPT = """
local bodies = {}
for _, path in ipairs({{PATHS}}) do
  local f = assert(io.open(path, "rb")); table.insert(bodies, f:read("*a")); f:close()
end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "{PATH}", nil, bodies[i])
end
"""


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(text)


def wrk_load(url: str, path: str, seconds: float, connections: int) -> dict[str, Any]:
    """Closed-loop load from wrk; parses its --latency report."""
    import re

    files = sorted(REQUESTS.glob("*-mutate-Pod-CREATE.json"))
    lua = WRK_SCRIPT.replace("{PATHS}", ", ".join(f'"{p}"' for p in files)).replace("{PATH}", path)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds:.0f}s",
        "--latency",
        "-s",
        script.name,
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    latency = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", out, re.M)
    total = re.search(r"^\s+(\d+) requests in", out, re.M)
    rate = re.search(r"^Requests/sec:\s+(\S+)", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert latency, out
    assert total, out
    assert rate, out
    return {
        "requests": int(total.group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "rate": float(rate.group(1)),
        "p50": _ms(pct["50"]),
        "p99": _ms(pct["99"]),
        "max": _ms(latency.group(1)),
    }


def run_target(  # noqa: PLR0917 - one call site, positional for brevity
    name: str,
    command: list[str],
    port: int,
    path: str,
    ca: Path,
    bodies: list[bytes],
    args: argparse.Namespace,
) -> dict[str, Any]:
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_up(port, ca, proc)
        before = cpu_seconds(proc.pid)
        if args.generator == "wrk":
            result = wrk_load(f"https://127.0.0.1:{port}", path, args.seconds, args.connections)
        else:
            url = f"https://127.0.0.1:{port}{path}"
            result = asyncio.run(load(url, ca, bodies, args.rate, args.seconds, args.connections))
        result["cpu_ms_per_request"] = (cpu_seconds(proc.pid) - before) / result["requests"] * 1000
        if name == "webhook":
            import httpx2

            metrics = httpx2.get(
                f"https://127.0.0.1:{port}/metrics",
                verify=ssl.create_default_context(cafile=str(ca)),
            ).text
            result["registry_requests"] = sum(
                float(line.rsplit(" ", 1)[1])
                for line in metrics.splitlines()
                if line.startswith("archfit_webhook_registry_requests_total")
            )
        return result
    finally:
        proc.terminate()
        proc.wait(10)


def fuzz(cases: int) -> None:
    """The brain's property (never an exception, always the uid, every patch applies) over
    `cases` Hypothesis-made reviews; CI runs the same property with fewer."""
    import base64

    import jsonpatch
    import yaml
    from hypothesis import HealthCheck, given, settings
    from tests.unit.service.webhook.strategies import recorded, reviews, uid_of

    from archfit.model.k8s import node_from_k8s
    from archfit.policy import Settings
    from archfit.service.webhook.brain import View, decide

    nodes = tuple(node_from_k8s(i) for i in yaml.safe_load(NODES.read_text())["items"])
    view = View(Settings(), nodes)
    bodies = recorded(REQUESTS)
    seen = {"n": 0, "patched": 0}

    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(reviews(bodies))
    def check(body: Any) -> None:
        response = decide(body, view, {}).review["response"]
        assert response["uid"] == (uid_of(body) or "")
        if "patch" in response:
            seen["patched"] += 1
            ops = json.loads(base64.b64decode(response["patch"]))
            jsonpatch.JsonPatch(ops).apply(body["request"]["object"])
        seen["n"] += 1

    started = time.perf_counter()
    check()
    print(
        f"fuzz: {seen['n']} reviews ({seen['patched']} patched) in "
        f"{time.perf_counter() - started:.1f} s: no exception, every uid echoed, "
        "every patch applies"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--generator", choices=["httpx2", "wrk"], default="httpx2")
    parser.add_argument("--fuzz", type=int, metavar="CASES", help="run the brain fuzz instead")
    parser.add_argument(
        "--serve-floor", nargs=3, metavar=("PORT", "CERT", "KEY"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor(int(args.serve_floor[0]), args.serve_floor[1], args.serve_floor[2])
        return
    if args.fuzz:
        fuzz(args.fuzz)
        return
    bodies = pod_bodies()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        certs = make_certs(root)
        lock = root / "archfit.lock"
        write_lock(lock, bodies)
        archfit = str(ROOT / ".venv" / "bin" / "archfit")
        port = free_port()
        webhook = [
            archfit,
            "webhook",
            "--listen",
            f"127.0.0.1:{port}",
            "--tls-cert-file",
            str(certs.cert),
            "--tls-private-key-file",
            str(certs.key),
            "--cluster",
            str(NODES),
            "--lock",
            str(lock),
            "--cache-dir",
            str(root / "cache"),
            "--verified-taint",
        ]
        results = {
            "webhook": run_target(
                "webhook", webhook, port, "/mutate?timeout=10s", certs.ca, bodies, args
            )
        }
        port = free_port()
        floor = [
            sys.executable,
            __file__,
            "--serve-floor",
            str(port),
            str(certs.cert),
            str(certs.key),
        ]
        results["floor (do-nothing ASGI)"] = run_target(
            "floor", floor, port, "/mutate", certs.ca, bodies, args
        )
    print(
        f"{len(bodies)} recorded Pod bodies, "
        + ("closed loop (wrk) " if args.generator == "wrk" else f"{args.rate:.0f} req/s offered ")
        + "for "
        f"{args.seconds:.0f} s, {args.connections} connections, load generator on the same machine"
    )
    head = ("target", "rate", "p50 ms", "p99 ms", "max ms", "cpu ms/req", "errors", "registry")
    print("{:26} {:>8} {:>8} {:>8} {:>8} {:>10} {:>6} {:>8}".format(*head))
    for name, r in results.items():
        registry = str(r.get("registry_requests", "-"))
        row = (
            f"{name:26} {r['rate']:8.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['max']:8.2f} "
            f"{r['cpu_ms_per_request']:10.3f} {r['errors']:6d} {registry:>8}"
        )
        print(row)


if __name__ == "__main__":
    main()
