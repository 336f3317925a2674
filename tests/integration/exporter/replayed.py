"""A replayed API server serving a chosen cluster state to `archfit exporter`.

Only the requests the exporter makes are answered: one list page per resource (limit 500, the
objects of the state, resourceVersion 700) and a watch from 700 that ends without events (the
exporter resumes it after its backoff). Everything else is a 404, as from a real server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archfit.kube.resources import RESOURCES
from tests.integration.kube.replay import Certs, ReplayServer, Response


def _path(plural: str) -> str:
    info = RESOURCES[plural]
    prefix = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
    return f"{prefix}/{plural}"


def serve_state(
    fixtures: Path, certs: Certs, state: dict[str, list[dict[str, Any]]]
) -> ReplayServer:
    server = ReplayServer.start(fixtures, certs)
    server.routes.clear()
    for plural, items in state.items():
        info = RESOURCES[plural]
        body = json.dumps(
            {
                "kind": f"{info.kind}List",
                "apiVersion": info.api_version,
                "metadata": {"resourceVersion": "700"},
                "items": items,
            },
            separators=(",", ":"),
        ).encode()
        server.add("GET", _path(plural), {"limit": "500"}, Response(200, body, chunked=True))
        server.add(
            "GET",
            _path(plural),
            {"watch": "1", "resourceVersion": "700"},
            Response(200, b"", chunked=True, lines=True),
        )
    return server
