"""Run the resolver against a live registry from synchronous tests."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archfit.model.image import ImageRef
from archfit.registry import Resolution, ResolverConfig, open_resolver
from archfit.registry.settings import RegistrySettings

FAST = RegistrySettings(
    connect_timeout=2.0, read_timeout=2.0, backoff_base=0.01, backoff_max=0.05, attempts=3
)


@dataclass
class Run:
    results: list[Resolution]
    requests: Counter[str] = field(default_factory=Counter)
    tokens: int = 0

    def by_ref(self, text: str) -> Resolution:
        wanted = ImageRef.parse(text)
        return next(r for r in self.results if r.ref == wanted)


def resolve(refs: list[str], cache_dir: Path | None, **kwargs: Any) -> Run:
    """Resolve `refs` with a fresh resolver; `cache_dir` None keeps the cache in memory."""
    kwargs.setdefault("settings", FAST)
    kwargs.setdefault("docker_config", Path("/nonexistent/archfit-test/config.json"))
    config = ResolverConfig(cache_dir=cache_dir, use_cache=cache_dir is not None, **kwargs)

    async def go() -> Run:
        async with open_resolver(config) as resolver:
            results = await resolver.resolve_many([ImageRef.parse(r) for r in refs])
            return Run(results, Counter(resolver.client.requests), resolver.client.tokens.fetched)

    return asyncio.run(go())


def platforms(resolution: Resolution) -> list[str]:
    return [str(p) for p in resolution.platforms]
