"""The persistent resolver cache: one SQLite file in the user cache directory.

    digests   digest → kind, platforms, per-platform digests   (immutable: kept forever)
    children  child digest → the index that lists it           (for `child-digest-pinned`)
    tags      registry/repository:tag → digest, fetched_at     (trusted for `tag_ttl`; older
                                                                 rows serve as *stale* answers
                                                                 while a registry is down)
    failures  reference → error class and message, until      (the short negative cache)

Keys are image names and digests only — never credentials. Reads are batched (one query per
table for a whole run) and writes are buffered and committed once by `flush()`: the database is
local, so a synchronous call from async code costs microseconds and needs no thread.

A file that is not a database of this schema version is replaced, never trusted.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

from archfit.model.platform import Platform

__all__ = ["Cache", "CachedDigest", "CachedFailure", "CachedTag", "default_cache_dir"]

SCHEMA_VERSION = 1
DB_NAME = "registry.sqlite3"
_CHUNK = 500  # bound parameters per query, far below SQLite's limit
_SCHEMA = """
CREATE TABLE IF NOT EXISTS digests (
    digest TEXT PRIMARY KEY, kind TEXT NOT NULL, media_type TEXT NOT NULL,
    platforms TEXT NOT NULL, platform_digests TEXT NOT NULL, fetched_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS children (
    child TEXT PRIMARY KEY, parent TEXT NOT NULL, platform TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tags (
    ref TEXT PRIMARY KEY, digest TEXT NOT NULL, media_type TEXT NOT NULL, fetched_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS failures (
    ref TEXT PRIMARY KEY, error TEXT NOT NULL, message TEXT NOT NULL, until REAL NOT NULL);
"""


def default_cache_dir() -> Path:
    return Path(user_cache_dir("archfit"))


@dataclass(frozen=True, slots=True)
class CachedDigest:
    kind: str
    media_type: str
    platforms: tuple[Platform, ...]
    platform_digests: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class CachedTag:
    digest: str
    media_type: str
    fetched_at: float


@dataclass(frozen=True, slots=True)
class CachedFailure:
    error: str  # the exception class name
    message: str


class Cache:
    """Open with a directory (created if needed) or None for an in-memory cache."""

    def __init__(self, directory: Path | None) -> None:
        self.path = None if directory is None else directory / DB_NAME
        self._db = self._open()
        self._pending_digests: list[tuple[str, str, str, str, str, float]] = []
        self._pending_children: list[tuple[str, str, str]] = []
        self._pending_tags: list[tuple[str, str, str, float]] = []
        self._pending_failures: list[tuple[str, str, str, float]] = []
        self._platforms: dict[str, Platform] = {}

    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            db = sqlite3.connect(":memory:")
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10.0)
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, SCHEMA_VERSION):
                    raise sqlite3.DatabaseError("schema version")
                db.execute("PRAGMA journal_mode=WAL")
            except sqlite3.DatabaseError:
                db.close()
                self.path.unlink(missing_ok=True)
                db = sqlite3.connect(self.path, timeout=10.0)
                db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.commit()
        return db

    def close(self) -> None:
        self.flush()
        self._db.close()

    def __repr__(self) -> str:
        return f"Cache({str(self.path) if self.path else ':memory:'})"

    # -- reads (batched) -------------------------------------------------------------------

    def _select(self, sql: str, keys: Sequence[str]) -> Iterator[tuple[object, ...]]:
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            yield from self._db.execute(sql.format(marks=marks), chunk)

    def digests(self, digests: Sequence[str]) -> dict[str, CachedDigest]:
        out = {}
        sql = (
            "SELECT digest, kind, media_type, platforms, platform_digests FROM digests "
            "WHERE digest IN ({marks})"
        )
        for digest, kind, media_type, platforms, platform_digests in self._select(sql, digests):
            out[str(digest)] = CachedDigest(
                str(kind),
                str(media_type),
                tuple(self._platform(p) for p in json.loads(str(platforms))),
                json.loads(str(platform_digests)),
            )
        return out

    def parents(self, digests: Sequence[str]) -> dict[str, tuple[str, str]]:
        sql = "SELECT child, parent, platform FROM children WHERE child IN ({marks})"
        return {str(c): (str(p), str(pl)) for c, p, pl in self._select(sql, digests)}

    def tags(self, refs: Sequence[str]) -> dict[str, CachedTag]:
        sql = "SELECT ref, digest, media_type, fetched_at FROM tags WHERE ref IN ({marks})"
        return {
            str(r): CachedTag(str(d), str(m), float(str(f)))
            for r, d, m, f in self._select(sql, refs)
        }

    def failures(
        self, refs: Sequence[str], *, now: float | None = None
    ) -> dict[str, CachedFailure]:
        moment = time.time() if now is None else now
        sql = "SELECT ref, error, message, until FROM failures WHERE ref IN ({marks})"
        return {
            str(r): CachedFailure(str(e), str(m))
            for r, e, m, until in self._select(sql, refs)
            if float(str(until)) > moment
        }

    def _platform(self, text: str) -> Platform:
        found = self._platforms.get(text)
        if found is None:
            found = self._platforms[text] = Platform.parse(text)
        return found

    # -- writes (buffered until flush) -----------------------------------------------------

    def put_digest(
        self,
        digest: str,
        kind: str,
        media_type: str,
        platforms: Iterable[Platform],
        platform_digests: Mapping[str, str],
    ) -> None:
        self._pending_digests.append(
            (
                digest,
                kind,
                media_type,
                json.dumps([str(p) for p in platforms]),
                json.dumps(dict(platform_digests), sort_keys=True),
                time.time(),
            )
        )
        if kind == "index":
            self._pending_children.extend(
                (child, digest, platform) for platform, child in platform_digests.items()
            )

    def put_tag(self, ref: str, digest: str, media_type: str, *, now: float | None = None) -> None:
        self._pending_tags.append((ref, digest, media_type, time.time() if now is None else now))

    def put_failure(self, ref: str, error: str, message: str, ttl: float) -> None:
        self._pending_failures.append((ref, error, message, time.time() + ttl))

    def forget_failures(self, refs: Iterable[str]) -> None:
        keys = [(r,) for r in refs]
        if keys:
            self._db.executemany("DELETE FROM failures WHERE ref = ?", keys)
            self._db.commit()

    def flush(self) -> None:
        """Write everything buffered in one transaction."""
        if not (
            self._pending_digests
            or self._pending_children
            or self._pending_tags
            or self._pending_failures
        ):
            return
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?, ?)", self._pending_digests
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO children VALUES (?, ?, ?)", self._pending_children
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO tags VALUES (?, ?, ?, ?)", self._pending_tags
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?)", self._pending_failures
            )
            succeeded = [(ref,) for ref, *_ in self._pending_tags]
            self._db.executemany("DELETE FROM failures WHERE ref = ?", succeeded)
        self._pending_digests.clear()
        self._pending_children.clear()
        self._pending_tags.clear()
        self._pending_failures.clear()

    def clear(self) -> None:
        with self._db:
            for table in ("digests", "children", "tags", "failures"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
