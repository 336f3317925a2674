"""One pod's pull secrets, read with `get` only, and the resolvers that use them.

    Pod ──> spec.imagePullSecrets ∪ ServiceAccount(spec.serviceAccountName or "default")
        ──> GET each Secret (never list/watch) ──> PullSecretProvider (kubelet matching)
        ──> PodCredentials(key, provider) ──> PrivateResolvers[key] (first these, then mounted)

A Secret or ServiceAccount that is missing (404) or not readable (403) gives no credentials and
a warning, never a failure. `key` is a hash of the secrets' contents: it names a credential set
in memory (coalescing, memo) and never shows a secret.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, Protocol

from archfit.errors import ArchfitError
from archfit.kube.errors import Forbidden, NotFound
from archfit.registry import Resolver
from archfit.registry.credentials.interface import CredentialProvider
from archfit.registry.credentials.pullsecrets import PullSecretProvider

__all__ = ["PodCredentials", "PrivateResolvers", "SecretGetter", "read_pod_credentials"]


class SecretGetter(Protocol):
    """What `archfit.kube.client.KubeApi` offers for this: one object by name."""

    def get(
        self, plural: str, name: str, *, namespace: str | None = None
    ) -> Awaitable[dict[str, Any]]: ...


@dataclass(frozen=True)
class PodCredentials:
    key: str = field()
    provider: CredentialProvider = field(repr=False)

    def __repr__(self) -> str:
        return f"PodCredentials({self.key})"


def _names(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    return [str(i["name"]) for i in items if isinstance(i, Mapping) and i.get("name")]


async def _get(
    api: SecretGetter, plural: str, name: str, namespace: str, warnings: list[str]
) -> dict[str, Any] | None:
    what = "ServiceAccount" if plural == "serviceaccounts" else "Secret"
    try:
        return await api.get(plural, name, namespace=namespace)
    except NotFound:
        warnings.append(f"{what} {namespace}/{name} not found; its pull secrets are not used")
    except Forbidden:
        warnings.append(f"{what} {namespace}/{name} is not readable (403); not used")
    except ArchfitError:
        warnings.append(f"{what} {namespace}/{name} could not be read; not used")
    return None


async def read_pod_credentials(
    api: SecretGetter, namespace: str, pod: Mapping[str, Any]
) -> tuple[PodCredentials | None, list[str]]:
    """The pull-secret credentials of `pod` (None: it has none) and warnings about them."""
    spec = pod.get("spec") if isinstance(pod.get("spec"), Mapping) else {}
    assert isinstance(spec, Mapping)
    warnings: list[str] = []
    names = _names(spec.get("imagePullSecrets"))
    account = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")
    sa = await _get(api, "serviceaccounts", account, namespace, warnings)
    if sa is not None:
        names += _names(sa.get("imagePullSecrets"))
    secrets: list[tuple[str, Mapping[str, Any]]] = []
    for name in dict.fromkeys(names):
        secret = await _get(api, "secrets", name, namespace, warnings)
        if secret is not None:
            secrets.append((f"{namespace}/{name}", secret))
    provider = PullSecretProvider()
    digest = hashlib.sha256()
    for where, obj in secrets:
        try:
            provider.add_secret(obj, where=where)
        except ArchfitError:
            warnings.append(f"Secret {where} is not a valid pull secret; not used")
            continue
        digest.update(where.encode() + b"\0")
        body = {k: obj.get(k) for k in ("type", "data", "stringData")}
        digest.update(json.dumps(body, sort_keys=True).encode() + b"\0")
    if not len(provider.keyring):
        return None, warnings
    return PodCredentials(digest.hexdigest()[:16], provider), warnings


class PrivateResolvers:
    """One resolver per credential set, the least recently used closed beyond `size`."""

    def __init__(
        self,
        open_resolver: Callable[[CredentialProvider], AbstractAsyncContextManager[Resolver]],
        *,
        size: int = 32,
    ) -> None:
        self._open = open_resolver
        self._size = size
        self._entries: OrderedDict[str, tuple[Resolver, AsyncExitStack]] = OrderedDict()

    async def get(self, credentials: PodCredentials) -> Resolver:
        hit = self._entries.get(credentials.key)
        if hit is not None:
            self._entries.move_to_end(credentials.key)
            return hit[0]
        stack = AsyncExitStack()
        resolver = await stack.enter_async_context(self._open(credentials.provider))
        raced = self._entries.get(credentials.key)
        if raced is not None:  # another request opened one meanwhile: use that, close ours
            await stack.aclose()
            return raced[0]
        self._entries[credentials.key] = (resolver, stack)
        while len(self._entries) > self._size:
            _, (_, old) = self._entries.popitem(last=False)
            await old.aclose()
        return resolver

    async def aclose(self) -> None:
        while self._entries:
            _, (_, stack) = self._entries.popitem()
            await stack.aclose()
