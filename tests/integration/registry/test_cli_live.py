"""`archfit images inspect` and `archfit lock` end to end against a real registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archfit.cli.main import main
from archfit.sources import read_lockfile
from tests.integration.registry.pushing import Pusher, RunningRegistry, push_single

pytestmark = pytest.mark.registry


def _deployment(name: str, *images: str) -> str:
    containers = "\n".join(
        f"        - {{name: c{n}, image: {image!r}}}" for n, image in enumerate(images)
    )
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: default}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
{containers}
"""


@pytest.fixture
def registry_args(tmp_path: Path) -> list[str]:
    return [
        "--cache-dir",
        str(tmp_path / "cache"),
        "--docker-config",
        str(tmp_path / "no-docker-config.json"),
    ]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_inspect_json(
    plain_registry: RunningRegistry, registry_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    reg = plain_registry
    code, out, err = _run(
        capsys,
        "images",
        "inspect",
        reg.ref("multi:oci"),
        reg.ref("single:armv7"),
        "--format",
        "json",
        *registry_args,
    )
    assert code == 0, err
    first, second = json.loads(out)
    assert first["ref"] == f"{reg.host}/multi:oci"
    assert first["kind"] == "index"
    assert first["digest"] == reg.images["multi:oci"].digest
    assert first["platforms"] == ["linux/amd64", "linux/arm/v7", "linux/arm64", "windows/amd64"]
    assert (
        first["platformDigests"]["linux/arm/v7"] == reg.images["multi:oci"].children["linux/arm/v7"]
    )
    assert first["error"] is None
    assert second["kind"] == "manifest"
    assert second["platforms"] == ["linux/arm/v7"]
    assert second["stale"] is False


def test_inspect_text_and_failure_exit_code(
    plain_registry: RunningRegistry, registry_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    reg = plain_registry
    child = reg.images["multi:docker"].children["linux/arm64"]
    code, out, err = _run(
        capsys,
        "images",
        "inspect",
        reg.ref("multi:docker"),
        f"{reg.ref('multi:docker')}@{child}",
        reg.ref("missing:1"),
        *registry_args,
    )
    assert code == 3
    lines = out.splitlines()
    assert lines[0].split() == ["IMAGE", "KIND", "PLATFORMS", "DIGEST", "NOTE"]
    assert "linux/amd64, linux/arm/v7, linux/arm64, windows/amd64" in lines[1]
    assert "child-digest-pinned" in lines[2]
    assert "error: ImageNotFound" in lines[3]
    assert "missing:1: " in err
    assert "not found (404)" in err
    assert "1 of 3 images did not resolve" in err


def test_inspect_bad_reference_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "images", "inspect", "UPPER/Case:1")
    assert code == 2
    assert "invalid image reference" in err


def test_lock_write_check_update(
    tmp_path: Path, registry_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.integration.registry.support import RegistryProcess

    process = RegistryProcess(tmp_path / "reg").start()
    pusher = Pusher(f"http://{process.host}")
    try:
        first = push_single(pusher, "app", "1", arch="arm64")
        other = push_single(pusher, "tool", "1", arch="amd64")
        apps = tmp_path / "apps"
        apps.mkdir()
        (apps / "app.yaml").write_text(_deployment("app", f"{process.host}/app:1"))
        lock = apps / "archfit.lock"

        code, out, err = _run(capsys, "lock", str(apps), *registry_args)
        assert code == 0, err
        assert "1 added" in out
        entry = read_lockfile(lock).entries[f"{process.host}/app:1"]
        assert entry.digest == first.digest
        assert [str(p) for p in entry.platforms] == ["linux/arm64"]
        assert entry.resolved_at

        code, out, _ = _run(capsys, "lock", str(apps), "--check", *registry_args)
        assert (code, "up to date" in out) == (0, True)

        (apps / "tool.yaml").write_text(_deployment("tool", f"{process.host}/tool:1"))
        before = lock.read_bytes()
        code, out, _ = _run(capsys, "lock", str(apps), "--check", *registry_args)
        assert code == 1
        assert f"missing  {process.host}/tool:1" in out
        assert lock.read_bytes() == before  # --check never writes

        code, out, _ = _run(capsys, "lock", str(apps), *registry_args)
        assert code == 0
        assert read_lockfile(lock).entries[f"{process.host}/tool:1"].digest == other.digest

        # The tag moves: only --update notices, and only the moved entry changes.
        moved = push_single(pusher, "app", "1", arch="arm", variant="v7", salt="moved")
        code, out, _ = _run(capsys, "lock", str(apps), *registry_args)
        assert read_lockfile(lock).entries[f"{process.host}/app:1"].digest == first.digest
        code, out, _ = _run(capsys, "lock", str(apps), "--check", "--update", *registry_args)
        assert code == 1
        assert f"stale    {process.host}/app:1" in out
        code, out, err = _run(capsys, "lock", str(apps), "--update", *registry_args)
        assert code == 0, err
        updated = read_lockfile(lock)
        assert updated.entries[f"{process.host}/app:1"].digest == moved.digest
        assert [str(p) for p in updated.entries[f"{process.host}/app:1"].platforms] == [
            "linux/arm/v7"
        ]

        (apps / "tool.yaml").unlink()
        code, out, _ = _run(capsys, "lock", str(apps), "--check", *registry_args)
        assert code == 1
        assert f"unused   {process.host}/tool:1" in out
    finally:
        pusher.close()
        process.stop()


def test_lock_reports_failures_and_keeps_what_resolved(
    plain_registry: RunningRegistry,
    tmp_path: Path,
    registry_args: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    reg = plain_registry
    (tmp_path / "app.yaml").write_text(
        _deployment("app", reg.ref("single:amd64"), reg.ref("missing:2"))
    )
    code, out, err = _run(capsys, "lock", str(tmp_path), *registry_args)
    assert code == 3
    assert "missing:2" in err
    assert "1 failed" in out
    entries = read_lockfile(tmp_path / "archfit.lock").entries
    assert list(entries) == [reg.ref("single:amd64")]


def test_check_resolve_fills_in_what_the_lockfile_lacks(
    plain_registry: RunningRegistry,
    tmp_path: Path,
    registry_args: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    reg = plain_registry
    apps = tmp_path / "apps"
    apps.mkdir()
    root = Path(__file__).resolve().parents[3]
    (apps / "cluster.yaml").write_text((root / "examples/homelab/cluster.yaml").read_text())
    child = f"{reg.ref('multi:docker')}@{reg.images['multi:docker'].children['linux/arm64']}"
    (apps / "app.yaml").write_text(
        _deployment(
            "web", reg.ref("multi:oci"), reg.ref("single:amd64"), reg.ref("missing:3"), child
        )
    )
    # The lockfile answers for one image (with platforms the registry would not give: the
    # lockfile wins); the other two are resolved online, and the missing one is an error.
    (apps / "archfit.lock").write_text(
        "apiVersion: archfit.dev/v1alpha1\nkind: ImageLock\nimages:\n"
        f"  {reg.ref('single:amd64')}:\n"
        f"    digest: sha256:{'0' * 64}\n    kind: manifest\n    platforms: [linux/s390x]\n"
    )
    code, out, err = _run(
        capsys, "check", str(apps), "--resolve", "--format", "json", *registry_args
    )
    assert code == 1, err  # arch findings, not a crash
    report = json.loads(out)
    images = {i["ref"]: i for i in report["workloads"][0]["images"]}
    resolved = images[reg.ref("multi:oci")]
    assert resolved["status"] == "resolved"
    assert resolved["digest"] == reg.images["multi:oci"].digest
    assert resolved["platforms"] == [
        "linux/amd64",
        "linux/arm/v7",
        "linux/arm64",
        "windows/amd64",
    ]
    assert images[reg.ref("single:amd64")]["platforms"] == ["linux/s390x"]
    missing = images[reg.ref("missing:3")]
    assert missing["status"] == "error"
    assert "not found (404)" in missing["detail"]
    assert missing["platforms"] == []
    assert images[child]["platforms"] == ["linux/arm64"]
    pinned = [f for f in report["findings"] if f["id"] == "child-digest-pinned"]
    assert len(pinned) == 1
    assert reg.images["multi:docker"].digest in pinned[0]["hint"]


def test_verbose_shows_requests_and_rate_limits(
    plain_registry: RunningRegistry, registry_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.integration.registry.faults import FaultProxy

    with FaultProxy(plain_registry.host, lambda m, p, c: "ratelimit:76") as proxy:
        code, out, err = _run(
            capsys, "-v", "images", "inspect", f"{proxy.host}/single:arm64", *registry_args
        )
    assert code == 0, err
    assert "linux/arm64" in out
    assert "registry requests: 1 GET blob, 1 GET manifest" in err
    assert f"{proxy.host} rate limit: 76 of 100 remaining" in err


@pytest.mark.parametrize("command", ["check", "fix"])
def test_first_run_without_a_lockfile_resolves_online(  # noqa: PLR0917 - pytest fixtures
    plain_registry: RunningRegistry,
    tmp_path: Path,
    registry_args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    monkeypatch.delenv("ARCHFIT_OFFLINE", raising=False)
    apps = tmp_path / "apps"
    apps.mkdir()
    root = Path(__file__).resolve().parents[3]
    (apps / "cluster.yaml").write_text((root / "examples/homelab/cluster.yaml").read_text())
    (apps / "app.yaml").write_text(_deployment("web", plain_registry.ref("single:amd64")))
    args = ["--dry-run"] if command == "fix" else ["--format", "json"]
    code, out, err = _run(capsys, command, str(apps), *args, *registry_args)
    assert err == ""
    if command == "check":
        (web,) = json.loads(out)["workloads"]
        assert web["allowed_architectures"] == ["amd64"]
        assert code == 1  # arch-mismatch: amd64 only, nothing keeps it off the Pis
    else:
        assert code == 0
        assert "+                      - amd64\n" in out, out
    # --offline: the same run asks nobody, and the image stays unknown.
    code, out, err = _run(capsys, command, str(apps), *args, "--offline", *registry_args)
    if command == "check":
        (web,) = json.loads(out)["workloads"]
        assert [i["status"] for i in web["images"]] == ["unresolved"]
    else:
        assert "amd64" not in out
