"""How `archfit lock` merges resolutions into the lockfile (no registry: resolutions by hand)."""

from __future__ import annotations

from pathlib import Path

from archfit.model.image import ImageRef
from archfit.model.lockfile import LockEntry, Lockfile
from archfit.model.platform import Platform
from archfit.registry import Resolution
from archfit.usecases.lock import LockPlan, apply_lock

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
NGINX = "docker.io/library/nginx:1.27"
REDIS = "docker.io/library/redis:7"
GONE = "docker.io/library/gone:1"


def _entry(ref: str, digest: str, platforms: str = "linux/amd64") -> LockEntry:
    return LockEntry(
        ref,
        digest,
        "manifest",
        tuple(Platform.parse(p) for p in platforms.split(",")),
        {},
        resolved_at="2026-01-01T00:00:00Z",
    )


def _plan(
    tmp_path: Path, old: dict[str, LockEntry], wanted: list[str], todo: list[str]
) -> LockPlan:
    return LockPlan(
        tmp_path / "archfit.lock",
        Lockfile(old),
        {ref: ImageRef.parse(ref) for ref in wanted},
        tuple(ImageRef.parse(ref) for ref in todo),
        (),
        update=False,
    )


def _resolved(ref: str, digest: str, platforms: str = "linux/amd64") -> Resolution:
    parsed = tuple(Platform.parse(p) for p in platforms.split(","))
    return Resolution(
        ImageRef.parse(ref),
        digest=digest,
        kind="manifest",
        platforms=parsed,
        platform_digests={str(parsed[0]): digest},
    )


def test_offline_check_reports_missing_and_unused(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path, {NGINX: _entry(NGINX, D1), GONE: _entry(GONE, D2)}, [NGINX, REDIS], [REDIS]
    )
    outcome = apply_lock(plan, None, write=True)
    assert (outcome.added, outcome.changed, outcome.removed) == ((REDIS,), (), (GONE,))
    assert not outcome.up_to_date
    assert not outcome.written
    assert not (tmp_path / "archfit.lock").exists()


def test_unchanged_entries_keep_their_timestamp_and_failures_keep_old_entries(
    tmp_path: Path,
) -> None:
    nginx = LockEntry(
        NGINX,
        D1,
        "manifest",
        (Platform.parse("linux/amd64"),),
        {"linux/amd64": D1},
        "2026-01-01T00:00:00Z",
    )
    redis = _entry(REDIS, D2)
    plan = _plan(tmp_path, {NGINX: nginx, REDIS: redis}, [NGINX, REDIS], [NGINX, REDIS])
    failure = Resolution(
        ImageRef.parse(REDIS), error="rate limited (429)", error_type="RateLimited"
    )
    outcome = apply_lock(plan, [_resolved(NGINX, D1), failure], now="2026-02-02T00:00:00Z")
    assert outcome.lockfile.entries[NGINX] is nginx  # same content: same entry, same timestamp
    assert outcome.lockfile.entries[REDIS] is redis  # failed: the old entry stays, no guess
    assert [r.error_type for r in outcome.failed] == ["RateLimited"]
    assert outcome.up_to_date
    assert outcome.written  # nothing changed, but there was no file yet


def test_moved_tag_is_changed_new_image_added_unused_removed(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        {NGINX: _entry(NGINX, D1), GONE: _entry(GONE, D1)},
        [NGINX, REDIS],
        [NGINX, REDIS],
    )
    outcome = apply_lock(
        plan,
        [_resolved(NGINX, D2, "linux/arm64"), _resolved(REDIS, D1)],
        now="2026-02-02T00:00:00Z",
    )
    assert (outcome.added, outcome.changed, outcome.removed) == ((REDIS,), (NGINX,), (GONE,))
    entry = outcome.lockfile.entries[NGINX]
    assert (entry.digest, entry.resolved_at) == (D2, "2026-02-02T00:00:00Z")
    assert [str(p) for p in entry.platforms] == ["linux/arm64"]
    assert sorted(outcome.lockfile.entries) == [NGINX, REDIS]
    assert outcome.written
    assert "redis:7" in (tmp_path / "archfit.lock").read_text()


def test_a_failed_new_image_is_not_written(tmp_path: Path) -> None:
    plan = _plan(tmp_path, {}, [REDIS], [REDIS])
    failure = Resolution(ImageRef.parse(REDIS), error="not found (404)", error_type="ImageNotFound")
    outcome = apply_lock(plan, [failure], write=False)
    assert outcome.lockfile.entries == {}
    assert outcome.added == ()
    assert not outcome.written
