"""A loopback HTTP proxy in front of a real registry that misbehaves on request."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx2

from tests.support.loopback import LoopbackServer


class FaultProxy:
    """A loopback HTTP proxy in front of a registry that misbehaves on request.

    `behaviour(method, path, count)` returns None to pass the request through, or one of
    `"429:<retry-after>"`, `"500"`, `"corrupt"` (alter the body, keep the digest header),
    `"truncate"` (declare the full length, send half, close), `"sleep:<seconds>"` or
    `"ratelimit:<remaining>"` (pass through with Docker Hub's `RateLimit-*` headers, limit 100).
    `count` is how many requests for that path came before this one.
    """

    def __init__(self, upstream: str, behaviour: Any) -> None:
        self.upstream = upstream
        self.behaviour = behaviour
        self.seen: list[tuple[str, str]] = []
        self._client = httpx2.Client(timeout=30.0)
        self._server = LoopbackServer(self._handler())

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.port}"

    def __enter__(self) -> FaultProxy:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
        self._client.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_HEAD(self) -> None:
                self._serve("HEAD")

            def do_GET(self) -> None:
                self._serve("GET")

            def _serve(self, method: str) -> None:
                count = sum(1 for m, p in proxy.seen if (m, p) == (method, self.path))
                proxy.seen.append((method, self.path))
                action = proxy.behaviour(method, self.path, count)
                if action and action.startswith("sleep:"):
                    time.sleep(float(action.split(":", 1)[1]))
                    action = None
                if action and (action.startswith("429") or action == "500"):
                    status, _, retry_after = action.partition(":")
                    self.send_response(int(status))
                    if retry_after:
                        self.send_header("Retry-After", retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in {"accept", "authorization"}
                }
                upstream = proxy._client.request(
                    method, f"http://{proxy.upstream}{self.path}", headers=headers
                )
                body = upstream.content
                if action == "corrupt" and body:
                    body = body.replace(b"amd64", b"arm64").replace(b"{", b"{ ", 1)
                self.send_response(upstream.status_code)
                if action and action.startswith("ratelimit:"):
                    remaining = action.split(":", 1)[1]
                    self.send_header("RateLimit-Limit", "100;w=21600")
                    self.send_header("RateLimit-Remaining", f"{remaining};w=21600")
                for key, value in upstream.headers.items():
                    if key.lower() not in {"content-length", "connection", "transfer-encoding"}:
                        self.send_header(key, value)
                length = int(upstream.headers.get("content-length", len(body)))
                self.send_header("Content-Length", str(length if method == "HEAD" else len(body)))
                if action == "truncate":
                    self.send_header("Connection", "close")
                self.end_headers()
                if method == "HEAD":
                    return
                if action == "truncate":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        return Handler
