"""Build a ready `Resolver` from user-facing configuration (files, directories, flags)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from archfit.registry.cache import Cache, default_cache_dir
from archfit.registry.client import RegistryClient
from archfit.registry.credentials import (
    CredentialProvider,
    DockerConfigProvider,
    StaticProvider,
    default_docker_config,
    load_pull_secret_files,
)
from archfit.registry.mirrors import MirrorMap, load_hosts_dir, load_registries_yaml
from archfit.registry.resolver import Resolver
from archfit.registry.settings import RegistrySettings

__all__ = ["ResolverConfig", "mounted_credentials", "open_private_resolver", "open_resolver"]


@dataclass(frozen=True)
class ResolverConfig:
    """Where credentials, mirrors and the cache come from.

    `cache_dir` None means the user cache directory (`ARCHFIT_CACHE_DIR` overrides it);
    `use_cache` False keeps the cache in memory for this run only. `docker_config` None means
    `$DOCKER_CONFIG/config.json` or `~/.docker/config.json` (a missing file is fine).
    Pull secrets come before the docker config, as the kubelet prefers them.
    """

    settings: RegistrySettings = field(default_factory=RegistrySettings)
    cache_dir: Path | None = None
    use_cache: bool = True
    docker_config: Path | None = None
    pull_secrets: tuple[Path, ...] = ()
    registries_yaml: Path | None = None
    hosts_dir: Path | None = None
    insecure_registries: frozenset[str] = frozenset()
    ca_file: str | None = None
    transport: httpx2.AsyncBaseTransport | None = None  # fault injection in tests only

    def resolved_cache_dir(self) -> Path:
        if self.cache_dir is not None:
            return self.cache_dir
        env = os.environ.get("ARCHFIT_CACHE_DIR")
        return Path(env) if env else default_cache_dir()


def mounted_credentials(config: ResolverConfig) -> CredentialProvider:
    """The credentials the configuration names: pull-secret files, then the docker config."""
    providers: list[CredentialProvider] = []
    if config.pull_secrets:
        providers.append(load_pull_secret_files(config.pull_secrets))
    providers.append(DockerConfigProvider(config.docker_config or default_docker_config()))
    return StaticProvider(tuple(providers))


def _mirrors(config: ResolverConfig) -> MirrorMap:
    mirrors = MirrorMap(insecure=config.insecure_registries)
    if config.registries_yaml is not None:
        mirrors = mirrors.merge(load_registries_yaml(config.registries_yaml))
    if config.hosts_dir is not None:
        mirrors = mirrors.merge(load_hosts_dir(config.hosts_dir))
    return mirrors


@asynccontextmanager
async def open_resolver(config: ResolverConfig) -> AsyncIterator[Resolver]:
    """A resolver with its client and cache; both are closed (and the cache flushed) on exit."""
    mirrors = _mirrors(config)
    credentials = mounted_credentials(config)
    cache = Cache(config.resolved_cache_dir() if config.use_cache else None)
    try:
        async with RegistryClient(
            config.settings, credentials, transport=config.transport, ca_bundle=config.ca_file
        ) as client:
            yield Resolver(client, cache=cache, mirrors=mirrors)
    finally:
        cache.close()


@asynccontextmanager
async def open_private_resolver(
    config: ResolverConfig, first: CredentialProvider
) -> AsyncIterator[Resolver]:
    """A resolver that tries `first` (one pod's pull secrets), then the mounted credentials.

    It has no persistent cache: a tag answer obtained with a pod's secret must never serve a
    request that does not carry the same secret, so its answers stay with this resolver.
    """
    credentials = StaticProvider((first, mounted_credentials(config)))
    async with RegistryClient(
        config.settings, credentials, transport=config.transport, ca_bundle=config.ca_file
    ) as client:
        yield Resolver(client, cache=None, mirrors=_mirrors(config))
