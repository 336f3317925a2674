"""The async API client: paginated lists, watches that resume, server-side apply.

Everything here returns plain dicts (the objects as the server sent them) or archfit values;
lightkube's classes never leave this package. Every lightkube/httpx exception is translated at
this boundary into `archfit.kube.errors` (see `_translated`).

Lists are read page by page (`limit`/`continue`), so memory holds one page of raw objects at a
time; a caller that converts each object as it arrives never holds the whole response. A list
whose continue token expires (410) is restarted from the beginning by `list_all`; a watch that
ends is resumed from the last resourceVersion seen, and one that expires (410) is replaced by a
fresh list (a `SYNC` event carrying every object) before watching again — the reflector
pattern of client-go.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx2
import msgspec
from lightkube import ApiError, AsyncClient
from lightkube.core.exceptions import ConfigError, NotReadyError
from lightkube.types import PatchType

from archfit.kube.config import Target
from archfit.kube.errors import (
    ApiUnreachable,
    Expired,
    KubeConfigError,
    KubeError,
    NotFound,
    Request,
    status_error,
)
from archfit.kube.resources import RESOURCES, generic

__all__ = ["FIELD_MANAGER", "TRANSLATED", "KubeApi", "ListResult", "WatchEvent"]

FIELD_MANAGER = "archfit"
EventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "SYNC"]
_EVENT_TYPES: dict[str, EventType] = {
    "ADDED": "ADDED",
    "MODIFIED": "MODIFIED",
    "DELETED": "DELETED",
    "BOOKMARK": "BOOKMARK",
}


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change. `SYNC` carries the complete state (`items`) after a list or relist; the
    consumer replaces what it knew. `resource_version` is where a resumed watch continues."""

    type: EventType
    object: Mapping[str, Any]
    resource_version: str
    items: tuple[Mapping[str, Any], ...] = ()


@dataclass(slots=True)
class ListResult:
    items: list[dict[str, Any]] = field(default_factory=list)
    resource_version: str = ""
    relists: int = 0


# Every foreign exception `_translated` maps (a test checks the libraries raise nothing else).
TRANSLATED: tuple[type[BaseException], ...] = (
    ApiError,
    httpx2.HTTPStatusError,
    httpx2.RequestError,
    ssl.SSLError,
    OSError,
    ConfigError,
    msgspec.DecodeError,
    msgspec.ValidationError,
)


def _status_from_http(err: httpx2.HTTPStatusError) -> dict[str, Any]:
    response = err.response
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("kind") == "Status":
        return body
    text = response.text.strip().splitlines()[0] if response.text.strip() else ""
    return {"code": response.status_code, "reason": response.reason_phrase, "message": text}


def _version(iterable: Any) -> str:
    try:
        return str(iterable.resourceVersion or "")
    except NotReadyError:
        return ""


class KubeApi:
    """A connection to one API server. Use as `async with KubeApi(target) as api: ...`."""

    def __init__(
        self,
        target: Target,
        *,
        timeout: float = 30.0,
        chunk_size: int = 500,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.target = target
        self.chunk_size = chunk_size
        try:
            self._client = AsyncClient(
                target.config,
                timeout=httpx2.Timeout(timeout),
                field_manager=FIELD_MANAGER,
                transport=transport,
            )
        except (ConfigError, OSError, ssl.SSLError, ValueError, AssertionError) as err:
            raise KubeConfigError(
                f"cannot use {target.origin}: {type(err).__name__}: {err}"
            ) from None

    async def __aenter__(self) -> KubeApi:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.close()

    @contextmanager
    def _translated(self, request: Request) -> Iterator[None]:
        try:
            yield
        except ApiError as err:
            status = err.status.to_dict() if err.status is not None else {}
            raise status_error(status, request) from None
        except httpx2.HTTPStatusError as err:
            raise status_error(_status_from_http(err), request) from None
        except httpx2.TimeoutException:
            raise ApiUnreachable(
                f"the API server at {self.target.server} did not answer in time ({request})"
            ) from None
        except (httpx2.RequestError, ssl.SSLError, OSError) as err:
            reason = str(err) or type(err).__name__
            if "CERTIFICATE_VERIFY_FAILED" in reason:
                reason += " (check certificate-authority in the kubeconfig)"
            raise ApiUnreachable(
                f"cannot reach the API server at {self.target.server}: {reason}"
            ) from None
        except ConfigError as err:
            raise KubeConfigError(f"cannot use {self.target.origin}: {err}") from None
        except (msgspec.DecodeError, msgspec.ValidationError) as err:
            raise KubeError(
                f"the API server at {self.target.server} sent a body archfit cannot read "
                f"({request}): {err}"
            ) from None

    # -- reading ---------------------------------------------------------------------------

    async def list(
        self,
        plural: str,
        *,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
        fields: Mapping[str, str] | None = None,
        chunk_size: int | None = None,
        result: ListResult | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every object of `plural`, fetched page by page; raises `Expired` when a continue token
        expires mid-way (use `list_all` to restart). Fills `result.resource_version`."""
        info = RESOURCES[plural]
        res = generic(plural)
        request = Request("list", plural, info.group, namespace)
        ns: str | None = (namespace or "*") if info.namespaced else None
        iterable = self._client.list(
            res,
            namespace=ns,
            chunk_size=chunk_size or self.chunk_size,
            labels=dict(labels) if labels else None,
            fields=dict(fields) if fields else None,
        )
        iterator = iterable.__aiter__()
        while True:
            with self._translated(request):
                try:
                    item = await iterator.__anext__()
                except StopAsyncIteration:
                    break
            if result is not None and not result.resource_version:
                result.resource_version = _version(iterable)
            obj = dict(item)
            obj.setdefault("apiVersion", info.api_version)
            obj.setdefault("kind", info.kind)
            yield obj
        if result is not None:
            result.resource_version = _version(iterable) or result.resource_version

    async def list_all(
        self,
        plural: str,
        *,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
        fields: Mapping[str, str] | None = None,
        chunk_size: int | None = None,
        attempts: int = 3,
    ) -> ListResult:
        """The complete list, restarted from scratch when a continue token expires (410)."""
        relists = 0
        while True:
            result = ListResult(relists=relists)
            try:
                async for obj in self.list(
                    plural,
                    namespace=namespace,
                    labels=labels,
                    fields=fields,
                    chunk_size=chunk_size,
                    result=result,
                ):
                    result.items.append(obj)
            except Expired:
                relists += 1
                if relists >= attempts:
                    raise
                continue
            return result

    async def get(self, plural: str, name: str, *, namespace: str | None = None) -> dict[str, Any]:
        info = RESOURCES[plural]
        request = Request("get", plural, info.group, namespace, name)
        with self._translated(request):
            if info.namespaced:
                obj = await self._client.get(generic(plural), name, namespace=namespace)
            else:
                obj = await self._client.get(generic(plural), name)
        out = dict(obj)
        out.setdefault("apiVersion", info.api_version)
        out.setdefault("kind", info.kind)
        return out

    async def require_namespace(self, namespace: str) -> None:
        """Raise `NamespaceNotFound` when `namespace` does not exist."""
        try:
            await self.get("namespaces", namespace)
        except NotFound as err:
            raise status_error(
                {"code": 404, "details": {"kind": "namespaces", "name": namespace}}, err.request
            ) from None

    # -- watching --------------------------------------------------------------------------

    async def watch(
        self,
        plural: str,
        *,
        resource_version: str,
        namespace: str | None = None,
        server_timeout: int | None = None,
    ) -> AsyncIterator[WatchEvent]:
        """Changes after `resource_version`; when the server ends the stream the watch resumes
        from the last version seen. Raises `Expired` when that version is too old."""
        info = RESOURCES[plural]
        request = Request("watch", plural, info.group, namespace)
        ns: str | None = (namespace or "*") if info.namespaced else None
        kwargs: dict[str, Any] = {"resource_version": resource_version}
        if ns is not None:
            kwargs["namespace"] = ns
        stream = self._client.watch(generic(plural), server_timeout=server_timeout, **kwargs)
        iterator = stream.__aiter__()
        try:
            while True:
                with self._translated(request):
                    try:
                        kind, obj = await iterator.__anext__()
                    except StopAsyncIteration:
                        return
                body = dict(obj)
                meta = body.get("metadata") or {}
                event_type = _EVENT_TYPES.get(kind, "MODIFIED")
                yield WatchEvent(event_type, body, str(meta.get("resourceVersion") or ""))
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()

    async def follow(
        self,
        plural: str,
        *,
        namespace: str | None = None,
        resource_version: str | None = None,
        retries: int = 5,
        backoff: float = 0.5,
    ) -> AsyncIterator[WatchEvent]:
        """A list followed by a watch that never misses a change: `SYNC` (all objects) first
        unless `resource_version` is given, then changes; on 410 a new `SYNC` and the watch
        continues from there; a dropped connection is retried `retries` times with backoff."""
        version = resource_version
        failures = 0
        while True:
            if version is None:
                listed = await self.list_all(plural, namespace=namespace)
                version = listed.resource_version
                yield WatchEvent("SYNC", {}, version, tuple(listed.items))
            try:
                async for event in self.watch(
                    plural, resource_version=version, namespace=namespace
                ):
                    failures = 0
                    if event.resource_version:
                        version = event.resource_version
                    yield event
                return
            except Expired:
                version = None
            except ApiUnreachable:
                failures += 1
                if failures > retries:
                    raise
                await asyncio.sleep(backoff * 2 ** (failures - 1))

    # -- writing ---------------------------------------------------------------------------

    async def apply_node_labels(
        self,
        node: str,
        labels: Mapping[str, str],
        *,
        force: bool = False,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Server-side apply of `labels` on `node` as field manager `archfit`.

        Labels archfit applied before and omits now are removed by the server; labels owned by
        others are never touched. Raises `Conflict` when another manager owns a label with a
        different value, unless `force`.
        """
        body = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node, "labels": dict(labels)},
        }
        request = Request("patch", "nodes", "", None, node)
        with self._translated(request):
            obj = await self._client.patch(
                generic("nodes"),
                node,
                body,
                patch_type=PatchType.APPLY,
                field_manager=FIELD_MANAGER,
                force=force,
                dry_run=dry_run,
            )
        return dict(obj)
