"""`archfit exporter` for real against a replayed API server, scraped by a real Prometheus that
evaluates the shipped rules; assertions go through Prometheus' HTTP API.

The cluster state is `tests/support/exporter_state.broken`: fluent-bit crashing with
`exec format error` on the 5 arm64 nodes, legacy-app crashing the same way, two ppc-app pods
Pending on an arch no node has, and a PostgreSQL pod on the Pi durnan. Expected values are
sums worked out by hand from those objects (see tests/unit/service/exporter/test_metrics.py).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.exporter.replayed import get, run_exporter, serve_state, wait_for
from tests.integration.kube.replay import ReplayServer, make_certs, write_kubeconfig
from tests.monitoring.conftest import MONITORING, tool
from tests.support import exporter_state

MI = 2**20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def apiserver(shared_dir: Path, tmp_path: Path) -> Iterator[ReplayServer]:
    fixtures = shared_dir / "fixtures" / "apiserver"
    (tmp_path / "certs").mkdir()
    certs = make_certs(tmp_path / "certs")
    server = serve_state(fixtures, certs, exporter_state.broken(fixtures))
    server.certs = certs
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def exporter(apiserver: ReplayServer, tmp_path: Path) -> Iterator[str]:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", apiserver.url, apiserver.certs)
    with run_exporter(kubeconfig) as url:
        yield url


@pytest.fixture
def prometheus(exporter: str, tmp_path: Path) -> Iterator[str]:
    binary = tool("prometheus")
    port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(MONITORING / "archfit.rules.yaml")],
                "scrape_configs": [
                    {
                        "job_name": "archfit-exporter",
                        "static_configs": [{"targets": [exporter.removeprefix("http://")]}],
                    }
                ],
            }
        )
    )
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for("Prometheus ready", lambda: get(f"{url}/-/ready")[0] == 200)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _api(prometheus: str, path: str, **params: str) -> Any:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    status, body = get(f"{prometheus}/api/v1/{path}{query}")
    assert status == 200, body
    return json.loads(body)["data"]


def _by_arch(prometheus: str, expr: str) -> dict[str, float]:
    result = _api(prometheus, "query", query=expr)["result"]
    return {r["metric"]["arch"]: float(r["value"][1]) for r in result}


def test_scrape_passes_promtool_check_metrics(exporter: str) -> None:
    status, body = get(f"{exporter}/metrics")
    assert status == 200
    result = subprocess.run(
        [tool("promtool"), "check", "metrics"], input=body, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert b'archfit_nodes{arch="arm64",instance_type="raspberry-pi"} 5.0' in body


def test_alerts_fire_and_records_match_hand_sums(prometheus: str) -> None:
    wanted = {
        ("ArchfitExecFormatError", "DaemonSet/fluent-bit"),
        ("ArchfitExecFormatError", "Deployment/legacy-app"),
        ("ArchfitDaemonSetArchGap", "fluent-bit"),
        ("ArchfitPodsPendingOnArchitecture", "web"),
        ("ArchfitHeavyPodOnPi", "StatefulSet/pi-db"),
    }

    def active() -> set[tuple[str, str]] | None:
        alerts = _api(prometheus, "alerts")["alerts"]
        seen = {
            (
                a["labels"]["alertname"],
                a["labels"].get("owner")
                or a["labels"].get("daemonset")
                or a["labels"].get("namespace", ""),
            )
            for a in alerts
            if a["state"] in {"pending", "firing"}
        }
        return seen if wanted <= seen else None

    wait_for(
        "a scrape",
        lambda: _api(prometheus, "query", query='up{job="archfit-exporter"} == 1')["result"],
    )
    wait_for("the alerts", active)
    # Before the first scrape `up` is absent, so ArchfitExporterDown is briefly pending; ask
    # again after one more rule evaluation.
    time.sleep(2)
    names = {a["labels"]["alertname"] for a in _api(prometheus, "alerts")["alerts"]}
    # Three control planes, far from capacity, the exporter is up: these stay silent.
    assert not names & {
        "ArchfitSingleControlPlane",
        "ArchfitArchNearCapacity",
        "ArchfitExporterDown",
    }
    gap = [
        a["labels"]
        for a in _api(prometheus, "alerts")["alerts"]
        if a["labels"]["alertname"] == "ArchfitDaemonSetArchGap"
    ]
    assert [(g["namespace"], g["daemonset"], g["arch"]) for g in gap] == [
        ("kube-system", "fluent-bit", "arm64")
    ]
    # By hand: 3 control planes at 3800m/15Gi + 6 workers at 7800m/31Gi; Pis 3x(3, 3Gi) +
    # 2x(3500m, 6Gi).
    cpu = _by_arch(prometheus, "archfit:allocatable_cpu_cores:sum_by_arch")
    assert cpu == pytest.approx({"amd64": 58.2, "arm64": 16.0})
    memory = _by_arch(prometheus, "archfit:allocatable_memory_bytes:sum_by_arch")
    assert memory == {"amd64": 231 * 2**30, "arm64": 21 * 2**30}
    assert _by_arch(prometheus, "archfit:allocatable_gpus:sum_by_arch") == {"amd64": 4, "arm64": 0}
    # Requests: arm64 runs 5 fluent-bit (20m, 64Mi), 5 node-exporter (10m, 32Mi), legacy-app
    # (100m, 64Mi) and pi-db-0 (500m, 1Gi); amd64 the 27 pods listed in test_metrics.
    requested = _by_arch(prometheus, "archfit:requested_cpu_cores:sum_by_arch")
    assert requested == pytest.approx({"amd64": 3.31, "arm64": 0.75})
    requested_memory = _by_arch(prometheus, "archfit:requested_memory_bytes:sum_by_arch")
    assert requested_memory == {"amd64": 5664 * MI, "arm64": 1568 * MI}
    assert _by_arch(prometheus, "archfit:nodes_ready:sum_by_arch") == {"amd64": 9, "arm64": 5}
    ratio = _by_arch(prometheus, "archfit:cpu_requested:ratio_by_arch")
    assert ratio["arm64"] == pytest.approx(0.75 / 16)
