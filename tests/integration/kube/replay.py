"""A loopback HTTPS server that replays responses recorded from a real kube-apiserver.

The route table is built from `requests.json` in the recorded fixtures: each request is keyed
by method, path and decoded query; the recorded response bytes are served exactly, with the
recorded status, content type and framing (chunked or Content-Length; watch streams are sent
one event per chunk). Several recordings share a key (the same GET with another identity, the
same watch before and after a restart): they are told apart by the caller's identity (bearer
token or client certificate) and the PATCH body, then served in recording order, cycling.

Only what a real server needs to produce is faked: a test may `add` responses of its own
(scaled-up list pages for the benchmark, a 410 for a watch resumed from an unknown version).
"""

from __future__ import annotations

import json
import ssl
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.support import tls
from tests.support.loopback import LoopbackServer

ADMIN_TOKEN = "admin-token-for-tests"
NOBODY_TOKEN = "nobody-token-for-tests"
BAD_TOKEN = "invalid-token-for-tests"
IGNORED_QUERY = {"timeoutSeconds", "allowWatchBookmarks", "timeout"}


def _norm_query(query: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    out = set()
    for key, value in query:
        if key in IGNORED_QUERY:
            continue
        out.add((key, "1" if key == "watch" and value in {"1", "true"} else value))
    return frozenset(out)


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    chunked: bool = False
    lines: bool = False  # send one chunk per line (watch streams)
    identity: str = "admin"
    request_body: Any = None
    name: str = ""
    accept: str = ""  # the Accept header it was recorded with (discovery has two shapes)


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    identity: str


@dataclass
class Certs:
    directory: Path
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_certs(directory: Path) -> Certs:
    """A test CA, a server certificate for 127.0.0.1 and a client certificate for
    CN=kubernetes-admin, O=system:masters (what kubeadm's admin.conf carries)."""
    ca = tls.TestCA.create("archfit-test-ca")
    server_cert, server_key = ca.issue(
        tls.name("kube-apiserver"), sans=tls.LOOPBACK_NAMES, usage=ExtendedKeyUsageOID.SERVER_AUTH
    )
    client_cert, client_key = ca.issue(
        tls.name("kubernetes-admin", "system:masters"), usage=ExtendedKeyUsageOID.CLIENT_AUTH
    )
    certs = Certs(
        directory,
        directory / "ca.crt",
        directory / "server.crt",
        directory / "server.key",
        directory / "client.crt",
        directory / "client.key",
    )
    certs.ca.write_bytes(tls.pem_cert(ca.cert))
    certs.server_cert.write_bytes(tls.pem_cert(server_cert))
    certs.server_key.write_bytes(tls.pem_key(server_key))
    certs.client_cert.write_bytes(tls.pem_cert(client_cert))
    certs.client_key.write_bytes(tls.pem_key(client_key))
    return certs


def _recorded_identity(headers: Mapping[str, str]) -> str:
    auth = headers.get("Authorization", "")
    if "nobody" in auth:
        return "nobody"
    if "invalid" in auth:
        return "invalid"
    return "admin"


def load_routes(
    fixtures: Path,
) -> dict[tuple[str, str, frozenset[tuple[str, str]]], list[Response]]:
    index = json.loads((fixtures / "requests.json").read_text())
    routes: dict[tuple[str, str, frozenset[tuple[str, str]]], list[Response]] = defaultdict(list)
    for entry in index["requests"]:
        headers = entry.get("responseHeaders", {})
        body = (fixtures / entry["file"]).read_bytes()
        is_watch = entry["file"].endswith(".ndjson")
        key = (entry["method"], entry["path"], _norm_query((entry.get("query") or {}).items()))
        routes[key].append(
            Response(
                status=entry["status"],
                body=body,
                content_type=headers.get("Content-Type", "application/json"),
                chunked=headers.get("Transfer-Encoding") == "chunked",
                lines=is_watch,
                identity=_recorded_identity(entry.get("requestHeaders", {})),
                request_body=entry.get("requestBody"),
                name=entry["name"],
                accept=entry.get("requestHeaders", {}).get("Accept", ""),
            )
        )
    return dict(routes)


@dataclass
class ReplayServer:
    """The server; `url` is `https://127.0.0.1:<port>`. Use `with ReplayServer.start(...)`."""

    routes: dict[tuple[str, str, frozenset[tuple[str, str]]], list[Response]]
    certs: Certs
    received: list[Received] = field(default_factory=list)
    served: dict[tuple[str, str, frozenset[tuple[str, str]]], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    unauthorized: Response | None = None
    fallback: Callable[[Received], Response | None] | None = None
    _httpd: LoopbackServer | None = None

    @classmethod
    def start(cls, fixtures: Path, certs: Certs) -> ReplayServer:
        server = cls(load_routes(fixtures), certs)
        for responses in server.routes.values():
            for response in responses:
                if response.status == 401:
                    server.unauthorized = response
        server._serve()
        return server

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"https://127.0.0.1:{self._httpd.port}"

    def add(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        response: Response,
        *,
        first: bool = False,
    ) -> None:
        key = (method, path, _norm_query(query.items()))
        bucket = self.routes.setdefault(key, [])
        if first:
            bucket.insert(0, response)
        else:
            bucket.append(response)

    def requests_to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.stop()
            self._httpd = None

    # -- serving ---------------------------------------------------------------------------

    def _identity(self, handler: BaseHTTPRequestHandler) -> str:
        auth = handler.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer ") :].strip()
            return {ADMIN_TOKEN: "admin", NOBODY_TOKEN: "nobody"}.get(token, "invalid")
        peer = (
            handler.connection.getpeercert() if hasattr(handler.connection, "getpeercert") else None
        )
        if peer:
            for rdn in peer.get("subject", ()):
                for key, value in rdn:
                    if key == "commonName" and value == "kubernetes-admin":
                        return "admin"
        return "invalid"

    def choose(self, req: Received) -> Response | None:
        if req.identity == "invalid":
            return self.unauthorized
        query = _norm_query(req.query.items())
        key = (req.method, req.path, query)
        candidates = self.routes.get(key)
        if candidates is None and "limit" in req.query and "continue" not in req.query:
            # A recorded unpaginated list answers a first page request that asked for more.
            key = (req.method, req.path, _norm_query((k, v) for k, v in query if k != "limit"))
            candidates = self.routes.get(key)
        if candidates:
            mine = [c for c in candidates if c.identity == req.identity]
            accept = req.headers.get("Accept", "")
            if len({c.accept for c in mine}) > 1:
                mine = [c for c in mine if c.accept == accept] or [
                    c for c in mine if c.accept == "application/json"
                ]
            if req.body and mine:
                sent = json.loads(req.body)
                by_body = [
                    c
                    for c in mine
                    if c.request_body is None
                    or (
                        yaml.safe_load(c.request_body)
                        if isinstance(c.request_body, str)
                        else c.request_body
                    )
                    == sent
                ]
                mine = by_body
            if mine:
                index = self.served[key]
                self.served[key] += 1
                return mine[index % len(mine)]
        if self.fallback is not None:
            return self.fallback(req)
        return None

    def _serve(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Received(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query, keep_blank_values=True)),
                    dict(self.headers.items()),
                    body,
                    server._identity(self),
                )
                server.received.append(req)
                response = server.choose(req)
                if response is None:
                    response = Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Cache-Control", "no-cache, private")
                if response.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    pieces = (
                        response.body.splitlines(keepends=True)
                        if response.lines
                        else [response.body]
                    )
                    for piece in pieces:
                        if piece:
                            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                self.wfile.flush()

            do_GET = _handle  # noqa: N815 - http.server's naming
            do_PATCH = _handle  # noqa: N815
            do_POST = _handle  # noqa: N815
            do_PUT = _handle  # noqa: N815
            do_DELETE = _handle  # noqa: N815

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certs.server_cert, self.certs.server_key)
        ctx.load_verify_locations(self.certs.ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL
        self._httpd = LoopbackServer(Handler, tls=ctx, poll_interval=0.05)
        self._httpd.start()


def write_kubeconfig(
    path: Path,
    server: str,
    certs: Certs,
    *,
    token: str | None = ADMIN_TOKEN,
    client_cert: bool = False,
    context: str = "replay",
    extra_contexts: Mapping[str, str] | None = None,
) -> Path:
    """A kubeconfig for `server` trusting the test CA, with a bearer token or the client
    certificate; `extra_contexts` maps more context names to tokens."""
    users = []
    user: dict[str, Any] = {}
    if token is not None:
        user["token"] = token
    if client_cert:
        user["client-certificate"] = str(certs.client_cert)
        user["client-key"] = str(certs.client_key)
    users.append({"name": context, "user": user})
    contexts = [{"name": context, "context": {"cluster": "replay", "user": context}}]
    for name, tok in (extra_contexts or {}).items():
        users.append({"name": name, "user": {"token": tok}})
        contexts.append({"name": name, "context": {"cluster": "replay", "user": name}})
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "replay",
                "cluster": {"server": server, "certificate-authority": str(certs.ca)},
            }
        ],
        "users": users,
        "contexts": contexts,
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(doc))
    return path
