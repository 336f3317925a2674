"""The exporter follows changes through real watch streams from the replayed API server: a
DELETED pod leaves the metrics, and a watch answered with the recorded 410 (`too old resource
version`) is replaced by a relist, counted in archfit_watch_restarts_total."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.exporter.replayed import get, run_exporter, serve_state, wait_for
from tests.integration.kube.replay import Response, make_certs, write_kubeconfig
from tests.support import exporter_state


def _samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, body = get(f"{url}/metrics")
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def test_watch_events_and_relist(shared_dir: Path, tmp_path: Path) -> None:
    fixtures = shared_dir / "fixtures" / "apiserver"
    (tmp_path / "certs").mkdir()
    certs = make_certs(tmp_path / "certs")
    state = exporter_state.recorded(fixtures)
    crashing = json.loads((fixtures / "pod-crashloop.json").read_text())
    deleted = json.dumps({"type": "DELETED", "object": crashing}, separators=(",", ":"))
    with serve_state(fixtures, certs, state) as server:
        watch = {"watch": "1", "resourceVersion": "700"}
        server.add(
            "GET",
            "/api/v1/pods",
            watch,
            Response(200, deleted.encode() + b"\n", chunked=True, lines=True),
            first=True,
        )
        expired = (fixtures / "error-410-watch-too-old.ndjson").read_bytes()
        server.add(
            "GET",
            "/api/v1/nodes",
            watch,
            Response(200, expired, chunked=True, lines=True),
            first=True,
        )
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server.url, certs)
        with run_exporter(kubeconfig) as url:
            failure = (
                "archfit_pods_platform_failure",
                (
                    ("namespace", "web"),
                    ("node_arch", "arm64"),
                    ("owner", "Deployment/legacy-app"),
                    ("reason", "exec_format_error"),
                ),
            )
            pis = (("arch", "arm64"), ("instance_type", "raspberry-pi"))

            def applied() -> bool:
                samples = _samples(url)
                restarts = samples[("archfit_watch_restarts_total", (("resource", "nodes"),))]
                return failure not in samples and restarts >= 1

            wait_for("the DELETED event and the relist", applied, timeout=30)
            samples = _samples(url)
            # legacy-app (100m) is gone from the Pis: 5 fluent-bit + 5 node-exporter remain.
            assert samples[("archfit_requested_cpu_cores", pis)] == pytest.approx(0.15)
            assert samples[("archfit_requested_pods", pis)] == 10
            # After the relist the nodes are all there again.
            assert samples[("archfit_nodes", pis)] == 5
        lists = [r for r in server.requests_to("/api/v1/nodes") if "watch" not in r.query]
        assert len(lists) >= 2  # the initial list and the relist after 410
