"""A long read shows a progress bar on stderr when stderr is a terminal (a pseudo-terminal
here), never when it is not, and never touches stdout.

The read is made long by a real, slow renderer: a `kustomize` on PATH that takes a second
before running `kubectl kustomize` (as a kustomization with remote bases does)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.console import ROOT, archfit
from tests.support.kustomize import patched_overlay, require_kustomize

BIN = Path(sys.executable).parent
CLUSTER = """\
apiVersion: archfit.dev/v1alpha1
kind: Cluster
metadata: {name: one}
nodes:
  - {name: n1, arch: amd64, roles: [worker], allocatable: {cpu: "4", memory: 8Gi, pods: 110}}
"""


@pytest.fixture
def slow_overlay(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    kubectl = shutil.which("kubectl")
    require_kustomize(kubectl is not None, "kubectl")
    tools = tmp_path / "bin"
    tools.mkdir()
    slow = tools / "kustomize"
    # `kustomize build DIR` as `kubectl kustomize DIR`, a second late.
    slow.write_text(f'#!/bin/sh\nsleep 1\nshift\nexec {kubectl} kustomize "$@"\n')
    slow.chmod(0o755)
    overlay = patched_overlay(tmp_path / "repo")
    return overlay, {"PATH": f"{tools}:{os.environ['PATH']}"}


def _read_until_closed(master: int, process: subprocess.Popen[bytes]) -> bytes:
    """Everything written to the terminal until its last writer closes it."""
    err = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                process.kill()
                raise AssertionError("archfit did not finish within 60 s")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the last writer closed the terminal (EIO on Linux)
                break
            if not chunk:
                break
            err += chunk
    finally:
        os.close(master)
    return err


def _with_tty_stderr(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run the console script with stderr on a pseudo-terminal and stdout in a file (not a
    pipe: nobody would read it while the terminal is read, and a large report would block)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ARCHFIT_")}
    environ.pop("NO_COLOR", None)
    environ.update(env, ARCHFIT_OFFLINE="1", TERM="xterm", COLUMNS="100")
    with tempfile.TemporaryFile() as stdout:
        master, slave = pty.openpty()
        process = subprocess.Popen(
            [str(BIN / "archfit"), *args],
            cwd=ROOT,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=slave,
        )
        os.close(slave)
        err = _read_until_closed(master, process)
        code = process.wait(timeout=60)
        stdout.seek(0)
        out = stdout.read().decode()
    return code, out, err.decode(errors="replace")


def test_progress_on_a_terminal_and_not_elsewhere(
    slow_overlay: tuple[Path, dict[str, str]],
) -> None:
    overlay, env = slow_overlay
    args = ["check", str(overlay), "-o", "json", "--fail-on", "never"]
    code, out, err = _with_tty_stderr(args, env)
    assert code == 0, err
    assert "reading manifests, 1 rendered" in err
    # Files read of files found: the overlay's two, then the base's two it pulls in.
    assert "4/4" in err
    assert err.endswith("\x1b[2K")  # transient: the bar is erased when the read ends
    (workload,) = json.loads(out)["workloads"]
    assert workload["name"] == "web"

    piped = archfit(*args, env=env)
    assert (piped.code, piped.err) == (0, "")  # nothing progress-like off a terminal
    assert piped.out == out  # and stdout the same bytes either way

    quiet = _with_tty_stderr(["-q", *args], env)
    assert quiet == (0, out, "")

    # -v says what was read and rendered, and how long it took (simulate too).
    verbose = archfit(*args, "-v", env=env)
    assert re.search(
        r"^read 1 workloads from \S+ \(4 files read, 1 rendered \(kustomize, helm\) in "
        r"\d+\.\d\ds\)",
        verbose.err,
    ), verbose.err
    (overlay.parent / "cluster.yaml").write_text(CLUSTER)
    simulated = archfit("simulate", str(overlay), "-o", "json", "-v", env=env)
    assert simulated.code == 0, simulated.err
    assert re.search(
        r"^read 1 workloads \(4 files read, 1 rendered \(kustomize, helm\) in \d+\.\d\ds\)$",
        simulated.err,
        re.M,
    ), simulated.err
    assert re.search(r"^simulated 1 pods on 1 nodes in \d+\.\d\ds$", simulated.err, re.M)


def test_a_small_read_draws_nothing_on_a_terminal() -> None:
    code, out, err = _with_tty_stderr(
        ["check", "examples/homelab", "-o", "json", "--fail-on", "never"], {}
    )
    assert (code, err) == (0, "")
    assert json.loads(out)["workloads"]
