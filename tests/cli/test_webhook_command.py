"""`archfit webhook` as a user starts it: bad input is one line and exit 2; a real process
serves HTTPS, answers a recorded review and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from archfit.cli.main import main
from tests.integration.webhook.running import make_certs


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["webhook", *args])
    _, err = capsys.readouterr()
    return code, err


@pytest.fixture
def tls(tmp_path: Path) -> tuple[str, str, Path]:
    certs = make_certs(tmp_path)
    return str(certs.cert), str(certs.key), certs.ca


def test_bad_listen(capsys: pytest.CaptureFixture[str], tls: tuple[str, str, Path]) -> None:
    code, err = _run(
        capsys, "--listen", "8443", "--tls-cert-file", tls[0], "--tls-private-key-file", tls[1]
    )
    assert code == 2
    assert err.strip().splitlines() == [
        "archfit: error: --listen '8443': expected HOST:PORT, e.g. 0.0.0.0:8443"
    ]


def test_missing_certificate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = _run(
        capsys,
        "--tls-cert-file",
        str(tmp_path / "nope.crt"),
        "--tls-private-key-file",
        str(tmp_path / "nope.key"),
    )
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "nope.crt" in err
    assert "--tls-cert-file" in err


def test_bad_policy_names_file_and_line(
    capsys: pytest.CaptureFixture[str], tls: tuple[str, str, Path], tmp_path: Path
) -> None:
    policy = tmp_path / "archfit.yaml"
    policy.write_text("apiVersion: archfit.dev/v1alpha1\nkind: Policy\nnodes: [1]\n")
    code, err = _run(
        capsys,
        "--tls-cert-file",
        tls[0],
        "--tls-private-key-file",
        tls[1],
        "--config",
        str(policy),
    )
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert f"{policy}:3" in err


def test_real_process_serves_and_stops(
    tls: tuple[str, str, Path], shared_dir: Path, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    nodes = shared_dir / "fixtures/scheduler/cases/01-arch-required-affinity/nodes.yaml"
    lock = tmp_path / "archfit.lock"
    lock.write_text(
        "apiVersion: archfit.dev/v1alpha1\nkind: ImageLock\nimages:\n"
        "  docker.io/library/nginx:1.27:\n"
        f"    digest: sha256:{'0' * 64}\n    kind: index\n    platforms: [linux/amd64]\n"
    )
    command = [
        sys.executable, "-m", "archfit.cli.main", "webhook", "--listen", f"127.0.0.1:{port}",
        "--tls-cert-file", tls[0], "--tls-private-key-file", tls[1], "--cluster", str(nodes),
        "--lock", str(lock), "--cache-dir", str(tmp_path / "cache"),
    ]  # fmt: skip
    proc = subprocess.Popen(command, stderr=subprocess.PIPE)
    context = ssl.create_default_context(cafile=str(tls[2]))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx2.get(f"https://127.0.0.1:{port}/readyz", verify=context)
                break
            except httpx2.TransportError:
                assert proc.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.1)
        assert ready.status_code == 200
        (path,) = (shared_dir / "fixtures/admission/requests").glob("0001-*.json")
        answer = httpx2.post(
            f"https://127.0.0.1:{port}/mutate?timeout=10s",
            content=path.read_bytes(),
            headers={"content-type": "application/json"},
            verify=context,
        ).json()
        assert answer["response"]["uid"] == json.loads(path.read_bytes())["request"]["uid"]
        assert answer["response"]["patchType"] == "JSONPatch"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    # uvicorn shuts down gracefully, then re-raises SIGTERM (the container's exit is 143)
    assert proc.returncode in {0, -signal.SIGTERM}
    lines = [json.loads(line) for line in err.decode().splitlines()]
    admission = [line for line in lines if line["msg"] == "admission"]
    assert admission[0]["outcome"] == "patched"
    assert admission[0]["subject"] == "Pod/demo/bare"
