"""The cluster view and the policy the brain decides with, kept current while the server runs.

- `NodeWatch` follows the API server's nodes through `archfit.kube` (a list, then a watch that
  resumes, and a fresh list after a 410), replacing its view on every `SYNC`. It is synced once
  the first list has arrived; until then `/readyz` says not ready.
- `StaticNodes` is a fixed inventory (`--cluster FILE`), for running without an API server.
- `PolicyFile` loads the mounted policy and loads it again when the file changes (a ConfigMap
  update swaps a symlink, so the content is compared, not only the mtime). A change that does
  not parse keeps the previous policy and is logged.

`Views` combines them into one `View` value, rebuilt only when one of them changes, so a request
reads one attribute.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from archfit.errors import ArchfitError, InvalidValue
from archfit.model.k8s import node_from_k8s
from archfit.model.node import Node
from archfit.policy import Settings
from archfit.service.webhook.brain import View
from archfit.service.webhook.settings import WebhookOptions

__all__ = ["NodeSource", "NodeWatch", "PolicyFile", "StaticNodes", "Views"]

log = logging.getLogger("archfit.webhook")


class NodeSource(Protocol):
    """The nodes the webhook knows; `synced` once they reflect the cluster."""

    @property
    def nodes(self) -> tuple[Node, ...]: ...

    @property
    def synced(self) -> bool: ...

    @property
    def version(self) -> int: ...

    async def run(self) -> None: ...


class StaticNodes:
    def __init__(self, nodes: tuple[Node, ...]) -> None:
        self.nodes = nodes
        self.synced = True
        self.version = 0

    async def run(self) -> None:
        return None


def _node(obj: Mapping[str, Any]) -> Node | None:
    try:
        return node_from_k8s(dict(obj))
    except InvalidValue as err:
        log.warning("node ignored", extra={"fields": {"reason": str(err)}})
        return None


class NodeWatch:
    """Nodes from a watch on the API server (`api` is an `archfit.kube.KubeApi`)."""

    def __init__(self, api: Any, *, retry_after: float = 2.0) -> None:
        self._api = api
        self._nodes: dict[str, Node] = {}
        self.synced = False
        self.version = 0
        self.nodes: tuple[Node, ...] = ()
        self._retry_after = retry_after

    def _publish(self) -> None:
        self.nodes = tuple(sorted(self._nodes.values(), key=lambda n: n.name))
        self.version += 1

    def apply(self, event: Any) -> None:
        """One `archfit.kube.WatchEvent`: SYNC replaces, ADDED/MODIFIED/DELETED edit."""
        if event.type == "SYNC":
            self._nodes = {n.name: n for n in map(_node, event.items) if n is not None}
            self.synced = True
        elif event.type in {"ADDED", "MODIFIED"}:
            node = _node(event.object)
            if node is not None:
                self._nodes[node.name] = node
        elif event.type == "DELETED":
            name = (event.object.get("metadata") or {}).get("name")
            self._nodes.pop(str(name), None)
        else:
            return
        self._publish()

    async def run(self) -> None:
        # Imported here: the kube adapter (lightkube) is only needed with a real API server.
        from archfit.kube.errors import KubeError  # noqa: PLC0415

        while True:
            try:
                async for event in self._api.follow("nodes"):
                    self.apply(event)
            except KubeError as err:
                log.warning("node watch failed; retrying", extra={"fields": {"error": str(err)}})
            await asyncio.sleep(self._retry_after)


class PolicyFile:
    """The policy from `path` (None: the defaults), reloaded when its content changes."""

    def __init__(self, path: Path | None, *, poll: float = 2.0) -> None:
        self.path = path
        self.poll = poll
        self.version = 0
        self._digest = b""
        self.settings = Settings()
        self.loaded = path is None
        if path is not None:
            self.reload()

    def reload(self) -> bool:
        """Read the file again; True when a new policy took effect."""
        from archfit.usecases.config import load_settings  # noqa: PLC0415

        assert self.path is not None
        try:
            data = self.path.read_bytes()
        except OSError as err:
            log.warning("policy unreadable", extra={"fields": {"error": err.strerror}})
            return False
        digest = hashlib.sha256(data).digest()
        if digest == self._digest:
            return False
        if not data.strip():
            # A file caught while being rewritten in place reads empty; an empty policy would
            # silently mean "all defaults", so wait for the next check instead.
            return False
        try:
            settings = load_settings(self.path)
        except ArchfitError as err:
            log.error(
                "policy rejected; keeping the previous one", extra={"fields": {"error": str(err)}}
            )
            self._digest = digest
            return False
        self._digest = digest
        self.settings = settings
        self.loaded = True
        self.version += 1
        log.info("policy loaded", extra={"fields": {"path": str(self.path)}})
        return True

    async def run(self) -> None:
        if self.path is None:
            return
        while True:
            await asyncio.sleep(self.poll)
            self.reload()


class Views:
    """The current `View`, rebuilt when the nodes or the policy change."""

    def __init__(self, nodes: NodeSource, policy: PolicyFile, options: WebhookOptions) -> None:
        self.nodes = nodes
        self.policy = policy
        self.options = options
        self._key: tuple[int, int] = (-1, -1)
        self._view = View(policy.settings, nodes.nodes, options)

    @property
    def ready(self) -> bool:
        return self.nodes.synced and self.policy.loaded

    def current(self) -> View:
        key = (self.nodes.version, self.policy.version)
        if key != self._key:
            self._view = View(self.policy.settings, self.nodes.nodes, self.options)
            self._key = key
        return self._view
