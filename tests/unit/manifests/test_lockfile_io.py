"""Reading and writing archfit.lock."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from archfit.errors import InputError
from archfit.manifests.lockfile import LOCKFILE_HEADER, dump_lockfile
from archfit.model.image import ImageRef
from archfit.model.lockfile import LockEntry, Lockfile
from archfit.model.platform import Platform
from archfit.sources import read_lockfile, write_lockfile

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
LONG = "ghcr.io/home-operations/home-assistant:2026.8.3@" + D1


def _lock() -> Lockfile:
    def entry(ref: str, digest: str, platforms: list[str], **kw: object) -> LockEntry:
        return LockEntry(ref, digest, "index", tuple(Platform.parse(p) for p in platforms), **kw)  # type: ignore[arg-type]

    return Lockfile(
        {
            "docker.io/library/nginx:1.27": entry(
                "docker.io/library/nginx:1.27",
                D1,
                ["linux/arm64", "linux/amd64", "linux/arm/v7"],
                platform_digests={"linux/amd64": D2},
                resolved_at="2026-11-22T07:00:00Z",
            ),
            LONG: entry(LONG, D1, ["linux/amd64"]),
        }
    )


EXPECTED = f"""\
{LOCKFILE_HEADER}apiVersion: archfit.dev/v1alpha1
kind: ImageLock
images:
  docker.io/library/nginx:1.27:
    digest: {D1}
    kind: index
    platforms: [linux/amd64, linux/arm/v7, linux/arm64]
    platformDigests:
      linux/amd64: {D2}
    resolvedAt: "2026-11-22T07:00:00Z"
  {LONG}:
    digest: {D1}
    kind: index
    platforms: [linux/amd64]
"""


def test_written_file_is_the_documented_format(tmp_path: Path) -> None:
    path = tmp_path / "archfit.lock"
    write_lockfile(path, _lock())
    assert path.read_text() == EXPECTED
    assert not list(tmp_path.glob(".*.tmp"))


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "archfit.lock"
    write_lockfile(path, _lock())
    back = read_lockfile(path)
    assert back.to_dict() == _lock().to_dict()
    assert yaml.safe_load(path.read_text()) == _lock().to_dict()
    entry = back.get(ImageRef.parse("nginx:1.27"))
    assert entry is not None
    assert entry.resolved_at == "2026-11-22T07:00:00Z"


def test_empty_lockfile_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "archfit.lock"
    write_lockfile(path, Lockfile())
    assert dump_lockfile(Lockfile()).endswith("images: {}\n")
    assert read_lockfile(path).entries == {}


def test_missing_lockfile(tmp_path: Path) -> None:
    assert read_lockfile(tmp_path / "archfit.lock", optional=True).entries == {}
    with pytest.raises(InputError, match="no such lockfile") as caught:
        read_lockfile(tmp_path / "archfit.lock")
    assert caught.value.where == str(tmp_path / "archfit.lock")


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("apiVersion: v1\nkind: ImageLock\n", "{path}: kind", "expected apiVersion archfit.dev"),
        (
            "apiVersion: archfit.dev/v1alpha1\nkind: ImageLock\nimages:\n  nginx:1.27:\n"
            "    digest: nope\n",
            "{path}: images.nginx:1.27.digest",
            "expected a digest",
        ),
        (
            "apiVersion: archfit.dev/v1alpha1\nkind: ImageLock\nimages:\n  nginx:\n"
            f"    digest: {D1}\n    platforms: [linux/]\n",
            "{path}: images.nginx.platforms",
            "invalid platform",
        ),
        ("images: [\n", "{path}:1", "invalid YAML"),
        ("", "{path}", "empty lockfile"),
    ],
)
def test_bad_lockfiles_name_file_and_field(
    tmp_path: Path, text: str, where: str, words: str
) -> None:
    path = tmp_path / "archfit.lock"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        read_lockfile(path)
    assert caught.value.where == where.format(path=path)
    assert words in caught.value.message
