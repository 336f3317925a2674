"""`archfit simulate` on a first run (no archfit.lock): the installed console script resolves
the images online from a real TLS registry, as `check` does; `--offline` asks nobody; a
registry that does not answer is said once."""

from __future__ import annotations

import json
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.registry.pushing import Pusher, push_index, push_single
from tests.integration.registry.support import CertificateSet, RegistryProcess
from tests.support.console import Run, archfit

pytestmark = pytest.mark.registry

# One Raspberry Pi: every pod lands on it, whatever the scores.
CLUSTER = """\
apiVersion: archfit.dev/v1alpha1
kind: Cluster
metadata: {name: pi}
nodes:
  - name: pi1
    arch: arm64
    roles: [worker]
    allocatable: {cpu: "4", memory: 8Gi, pods: 110}
"""


def _deployment(name: str, image: str) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: default}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - {{name: {name}, image: "{image}", resources: {{requests: {{cpu: 100m}}}}}}
"""


@dataclass(frozen=True)
class TlsRegistry:
    process: RegistryProcess
    ca: Path

    @property
    def host(self) -> str:
        return self.process.host


@pytest.fixture(scope="module")
def registry(
    tmp_path_factory: pytest.TempPathFactory, certs: CertificateSet
) -> Iterator[TlsRegistry]:
    from tests.integration.registry.conftest import _require_registry

    _require_registry()
    process = RegistryProcess(
        tmp_path_factory.mktemp("simulate-tls"), tls=(certs.server_cert, certs.server_key)
    ).start()
    pusher = Pusher(
        f"https://{process.host}", verify=ssl.create_default_context(cafile=str(certs.ca_cert))
    )
    try:
        push_single(pusher, "tools/amd64-only", "1", arch="amd64")
        push_index(pusher, "tools/multi", "1", ["linux/amd64", "linux/arm64"])
        yield TlsRegistry(process, certs.ca_cert)
    finally:
        pusher.close()
        process.stop()


def _repo(root: Path, host: str) -> Path:
    root.mkdir()
    (root / "cluster.yaml").write_text(CLUSTER)
    (root / "legacy.yaml").write_text(_deployment("legacy", f"{host}/tools/amd64-only:1"))
    (root / "multi.yaml").write_text(_deployment("multi", f"{host}/tools/multi:1"))
    return root


def _simulate(root: Path, tmp_path: Path, *args: str, ca: Path | None = None) -> Run:
    registry_args = ["--cache-dir", str(tmp_path / "cache")]
    registry_args += ["--docker-config", str(tmp_path / "no-docker-config.json")]
    if ca is not None:
        registry_args += ["--ca-file", str(ca)]
    return archfit(
        "simulate", str(root), "-o", "json", *args, *registry_args, env={"ARCHFIT_OFFLINE": ""}
    )


def _images(run: Run) -> dict[str, dict[str, str] | None]:
    return {p["name"].rsplit("-", 2)[0]: p.get("image") for p in json.loads(run.out)["pods"]}


def test_first_run_resolves_online_through_tls(registry: TlsRegistry, tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", registry.host)
    run = _simulate(root, tmp_path, ca=registry.ca)
    assert run.err == ""
    assert run.code == 1  # a pod would crash
    report = json.loads(run.out)
    assert report["summary"]["wouldCrash"] == 1
    assert report["summary"]["unknownImagePlatforms"] == 0
    assert report["inputs"]["lockfile"] is None
    legacy = _images(run)["legacy"]
    assert legacy is not None
    assert legacy["outcome"] == "would-crash"
    assert legacy["reason"] == "exec format error"
    assert legacy["message"] == (
        f"{registry.host}/tools/amd64-only:1 ships only linux/amd64; on pi1 (linux/arm64) "
        "it fails with exec format error"
    )
    assert _images(run)["multi"] is None  # ships arm64: runs where it was placed
    served = [(m, p) for m, p, status in registry.process.access_log() if status == 200]
    assert ("GET", "/v2/tools/multi/manifests/1") in served
    # -v: what was read, resolved (now from the cache), and how long each took.
    verbose = _simulate(root, tmp_path, "-v", ca=registry.ca)
    lines = verbose.err.splitlines()
    assert re.fullmatch(r"read 2 workloads \(3 files read in \d+\.\d\ds\)", lines[0]), verbose.err
    assert re.fullmatch(
        r"resolved 2 of 2 images missing from the lockfile online in \d+\.\d\ds", lines[1]
    ), verbose.err
    assert re.fullmatch(r"simulated 2 pods on 1 nodes in \d+\.\d\ds", lines[2]), verbose.err
    # The text header says where the platforms came from (a later -o wins over the json one).
    text = _simulate(root, tmp_path, "-o", "text", ca=registry.ca)
    assert "\n  images     2 of 2 resolved online\n" in text.out, text.out


def test_offline_asks_nobody_and_leaves_the_pods_unknown(
    registry: TlsRegistry, tmp_path: Path
) -> None:
    root = _repo(tmp_path / "repo", registry.host)
    before = len(registry.process.access_log())
    run = _simulate(root, tmp_path, "--offline", ca=registry.ca)
    assert run.err == ""
    assert len(registry.process.access_log()) == before  # not one request reached it
    assert run.code == 0
    report = json.loads(run.out)
    assert (report["summary"]["wouldCrash"], report["summary"]["unknownImagePlatforms"]) == (0, 2)
    images = _images(run)
    assert {name: (i or {}).get("reason") for name, i in images.items()} == {
        "legacy": "no archfit.lock",
        "multi": "no archfit.lock",
    }
    # ARCHFIT_OFFLINE=1 is --offline.
    again = archfit("simulate", str(root), "-o", "json", "--cache-dir", str(tmp_path / "c2"))
    assert (again.code, again.err) == (0, "")
    assert len(registry.process.access_log()) == before


def test_a_lockfile_is_authoritative(registry: TlsRegistry, tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", registry.host)
    (root / "archfit.lock").write_text(
        "apiVersion: archfit.dev/v1alpha1\nkind: ImageLock\nimages:\n"
        f"  {registry.host}/tools/multi:1:\n"
        f"    digest: sha256:{'0' * 64}\n    kind: index\n    platforms: [linux/arm64]\n"
    )
    before = len(registry.process.access_log())
    run = _simulate(root, tmp_path, ca=registry.ca)
    assert (run.code, run.err) == (0, "")
    assert len(registry.process.access_log()) == before
    legacy = _images(run)["legacy"]
    assert legacy is not None
    assert (legacy["outcome"], legacy["reason"]) == ("unknown", "not in archfit.lock")
    # --resolve asks for what the lockfile lacks, and only that.
    resolved = _simulate(root, tmp_path, "--resolve", ca=registry.ca)
    assert resolved.code == 1, resolved.err
    legacy = _images(resolved)["legacy"]
    assert legacy is not None
    assert legacy["outcome"] == "would-crash"
    asked = {p for _, p, _ in registry.process.access_log()[before:]}
    assert "/v2/tools/amd64-only/manifests/1" in asked
    assert not any(p.startswith("/v2/tools/multi/") for p in asked)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_no_registry_answering_is_said_once_and_the_simulation_goes_on(tmp_path: Path) -> None:
    host = f"127.0.0.1:{_closed_port()}"
    root = _repo(tmp_path / "repo", host)
    run = _simulate(root, tmp_path)
    assert run.err == (
        "archfit: warning: 2 of 2 images could not be resolved online (no registry answered "
        "for them); continuing without their platforms\n"
    )
    assert run.code == 0  # unknown is not a failure: every pod was placed
    report = json.loads(run.out)
    assert (report["summary"]["wouldCrash"], report["summary"]["unknownImagePlatforms"]) == (0, 2)
    assert report["notes"] == [
        f"2 images could not be resolved online, so their platforms are unknown: "
        f"{host}/tools/amd64-only:1, {host}/tools/multi:1"
    ]
    for image in _images(run).values():
        assert image is not None
        assert image["outcome"] == "unknown"
        assert f"cannot connect to {host}" in image["reason"]
