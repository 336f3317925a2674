from __future__ import annotations

import time
from pathlib import Path

from archfit.model.platform import Platform
from archfit.registry.cache import DB_NAME, Cache

D_INDEX = "sha256:" + "a" * 64
D_ARM = "sha256:" + "b" * 64


def test_round_trip_persists_across_opens(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put_digest(
        D_INDEX,
        "index",
        "application/vnd.oci.image.index.v1+json",
        [Platform.parse("linux/arm64"), Platform.parse("linux/arm/v7")],
        {"linux/arm64": D_ARM},
    )
    cache.put_tag("docker.io/library/nginx:1.27", D_INDEX, "")
    cache.put_failure("ghcr.io/x/y:1", "ImageNotFound", "not found (404)", ttl=60)
    cache.close()

    again = Cache(tmp_path)
    record = again.digests([D_INDEX, D_ARM])
    assert list(record) == [D_INDEX]
    assert [str(p) for p in record[D_INDEX].platforms] == ["linux/arm64", "linux/arm/v7"]
    assert again.parents([D_ARM]) == {D_ARM: (D_INDEX, "linux/arm64")}
    tag = again.tags(["docker.io/library/nginx:1.27"])["docker.io/library/nginx:1.27"]
    assert tag.digest == D_INDEX
    assert time.time() - tag.fetched_at < 60
    assert again.failures(["ghcr.io/x/y:1"])["ghcr.io/x/y:1"].error == "ImageNotFound"
    assert again.failures(["ghcr.io/x/y:1"], now=time.time() + 61) == {}
    again.close()


def test_success_clears_a_remembered_failure(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put_failure("r.io/a:1", "ImageNotFound", "gone", ttl=600)
    cache.flush()
    cache.put_tag("r.io/a:1", D_INDEX, "")
    cache.flush()
    assert cache.failures(["r.io/a:1"]) == {}
    cache.close()


def test_a_file_that_is_not_our_database_is_replaced(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not sqlite" * 100)
    cache = Cache(tmp_path)
    assert cache.digests([D_INDEX]) == {}
    cache.close()


def test_batched_lookup_of_many_keys(tmp_path: Path) -> None:
    cache = Cache(None)
    keys = [f"r.io/repo:{n}" for n in range(1500)]
    for key in keys:
        cache.put_tag(key, D_INDEX, "")
    cache.flush()
    assert len(cache.tags(keys)) == 1500
    cache.close()
