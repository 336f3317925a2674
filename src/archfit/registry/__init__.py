"""OCI registry adapter: which platforms does an image ship? Resolve, authenticate, cache.

Flow: `open_resolver(ResolverConfig)` builds a `Resolver` over a `RegistryClient` (HTTP, auth,
retries), a `Cache` (SQLite) and a `MirrorMap` (k3s / containerd mirror configuration). Parsing
(`parse`) is pure. Errors are drawn in `archfit.registry.errors`.
"""

from archfit.registry.cache import Cache
from archfit.registry.client import RegistryClient
from archfit.registry.errors import RegistryConfigError, RegistryError
from archfit.registry.factory import ResolverConfig, open_resolver
from archfit.registry.resolver import Resolution, Resolver
from archfit.registry.settings import RegistrySettings

__all__ = [
    "Cache",
    "RegistryClient",
    "RegistryConfigError",
    "RegistryError",
    "RegistrySettings",
    "Resolution",
    "Resolver",
    "ResolverConfig",
    "open_resolver",
]
