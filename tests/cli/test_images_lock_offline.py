"""`archfit images` and `archfit lock` paths that need no registry: bad input, offline --check."""

from __future__ import annotations

from pathlib import Path

import pytest

from archfit.cli.main import main

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: "nginx:1.27"}
        - {name: side, image: "ghcr.io/example/side@sha256:%s"}
""" % ("a" * 64)
LOCK = """\
apiVersion: archfit.dev/v1alpha1
kind: ImageLock
images:
  docker.io/library/nginx:1.27:
    digest: sha256:%s
    kind: index
    platforms: [linux/amd64, linux/arm64]
""" % ("0" * 64)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_malformed_registries_yaml_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "registries.yaml"
    config.write_text("mirrors: [not, a, mapping]\n")
    code, _, err = _run(
        capsys, "images", "inspect", "nginx:1.27", "--registries-yaml", str(config), "--no-cache"
    )
    assert code == 2
    assert str(config) in err
    assert "expected a mapping" in err


def test_no_reference_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "images", "inspect")
    assert code == 2
    assert "--from" in err


def test_lock_of_a_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "lock", str(tmp_path / "nope"))
    assert code == 2
    assert "no such file or directory" in err


def test_lock_check_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.yaml").write_text(DEPLOYMENT)
    lock = tmp_path / "archfit.lock"
    lock.write_text(LOCK)
    code, out, _ = _run(capsys, "lock", str(tmp_path), "--check")
    assert code == 1
    assert f"missing  ghcr.io/example/side@sha256:{'a' * 64}" in out
    assert "nginx" not in out.split("out of date")[0]  # nginx is locked
    assert lock.read_text() == LOCK
    # Lock the pinned image by hand: the lockfile is then complete.
    lock.write_text(
        LOCK
        + f"  ghcr.io/example/side@sha256:{'a' * 64}:\n"
        + f"    digest: sha256:{'a' * 64}\n    kind: manifest\n    platforms: [linux/arm64]\n"
    )
    code, out, _ = _run(capsys, "lock", str(tmp_path), "--check")
    assert code == 0
    assert "up to date (2 images)" in out
