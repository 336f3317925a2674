"""Real registries on loopback for tests and benchmarks.

`RegistryProcess` runs Debian's `docker-registry` (CNCF distribution) with a generated config on
127.0.0.1 port 0 and reads the address it bound from its log. `make_ca` builds a CA and a server
certificate with `cryptography`; `TokenIssuer` is a small HTTP token service signing JWTs the way
distribution's `auth: token` expects (ES256, certificate chain in the `x5c` header). Pushing
images is in `pushing`, the fault-injecting proxy in `faults`.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from tests.support.loopback import LoopbackServer

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"


# -- the registry process ------------------------------------------------------------------


@dataclass
class RegistryProcess:
    """A running docker-registry; `host` is `127.0.0.1:<port>`."""

    root: Path
    auth: dict[str, Any] | None = None
    tls: tuple[Path, Path] | None = None  # (certificate, key)
    accesslog: bool = True
    process: subprocess.Popen[bytes] | None = None
    host: str = ""
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.root / "registry.log"

    def start(self, timeout: float = 15.0) -> RegistryProcess:
        self.root.mkdir(parents=True, exist_ok=True)
        http: dict[str, Any] = {"addr": "127.0.0.1:0", "secret": "archfit-test-secret"}
        if self.tls:
            http["tls"] = {"certificate": str(self.tls[0]), "key": str(self.tls[1])}
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": not self.accesslog}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.root / "data")},
                "delete": {"enabled": True},
            },
            "http": http,
        }
        if self.auth:
            config["auth"] = self.auth
        config_path = self.root / "config.yml"
        config_path.write_text(yaml.safe_dump(config))
        with self.log_path.open("wb") as log:
            # The child keeps its own copy of the descriptor.
            self.process = subprocess.Popen(
                [REGISTRY_BIN, "serve", str(config_path)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        pattern = re.compile(rb"listening on (127\.0\.0\.1:\d+)")
        while time.monotonic() < deadline:
            match = pattern.search(self.log_path.read_bytes())
            if match:
                self.host = match.group(1).decode()
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"docker-registry did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def access_log(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request served so far."""
        out = []
        for match in re.finditer(
            rb'"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP/[\d.]+" (\d+)',
            self.log_path.read_bytes(),
        ):
            out.append((match.group(1).decode(), match.group(2).decode(), int(match.group(3))))
        return out


# -- TLS material ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateSet:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    signing_cert: Path  # a certificate for the token issuer's signing key
    signing_key_pem: bytes


def make_ca(directory: Path) -> CertificateSet:
    """A CA, a server certificate for 127.0.0.1/localhost, and a token-signing certificate."""
    from tests.support.tls import LOOPBACK_NAMES, TestCA, name, pem_cert, pem_key

    directory.mkdir(parents=True, exist_ok=True)
    ca = TestCA.create("archfit test CA")
    server, server_key = ca.issue(name("127.0.0.1"), sans=LOOPBACK_NAMES)
    signer, signer_key = ca.issue(name("archfit token issuer"))
    (directory / "ca.pem").write_bytes(pem_cert(ca.cert))
    (directory / "server.pem").write_bytes(pem_cert(server))
    (directory / "server-key.pem").write_bytes(pem_key(server_key))
    (directory / "signer.pem").write_bytes(pem_cert(signer))
    return CertificateSet(
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server-key.pem",
        directory / "signer.pem",
        pem_key(signer_key),
    )


def htpasswd_line(user: str, password: str) -> str:
    import bcrypt

    return f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()}\n"


# -- a token issuer for `auth: token` --------------------------------------------------------


class TokenIssuer:
    """Issues registry JWTs on loopback. Anonymous callers get pull access to repositories
    under `public/`; `users` (name → password) get pull and push everywhere. `field` chooses
    whether the answer carries `token` or `access_token`. Counts the tokens it issued."""

    def __init__(
        self,
        certs: CertificateSet,
        *,
        service: str = "archfit-test-registry",
        issuer: str = "archfit-test-issuer",
        users: Mapping[str, str] | None = None,
        field: str = "token",
        expires_in: int = 300,
        refresh_tokens: Mapping[str, str] | None = None,
    ) -> None:
        self.certs, self.service, self.issuer = certs, service, issuer
        self.users = dict(users or {})
        self.refresh_tokens = dict(refresh_tokens or {})  # refresh token → user
        self.field = field
        self.expires_in = expires_in
        self.issued = 0
        self.requests: list[dict[str, Any]] = []
        self._server = LoopbackServer(self._handler())

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/token"

    def start(self) -> TokenIssuer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def registry_auth(self) -> dict[str, Any]:
        return {
            "token": {
                "realm": self.realm,
                "service": self.service,
                "issuer": self.issuer,
                "rootcertbundle": str(self.certs.ca_cert),
            }
        }

    def _sign(self, subject: str, access: list[dict[str, Any]]) -> str:
        import jwt
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(self.certs.signing_cert.read_bytes())
        from cryptography.hazmat.primitives import serialization

        der = cert.public_bytes(serialization.Encoding.DER)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + self.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": f"{now}-{self.issued}",
            "access": access,
        }
        return jwt.encode(
            claims,
            self.certs.signing_key_pem,
            algorithm="ES256",
            headers={"x5c": [base64.b64encode(der).decode()]},
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                user = ""
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    if issuer.users.get(user) != password:
                        self._answer(401, {"errors": [{"code": "UNAUTHORIZED"}]})
                        return
                issuer.requests.append({"user": user, "scope": query.get("scope", [""])[0]})
                access = []
                for scope in query.get("scope", []):
                    kind, _, rest = scope.partition(":")
                    repo, _, actions = rest.rpartition(":")
                    granted = [
                        a
                        for a in actions.split(",")
                        if user or (a == "pull" and repo.startswith("public/"))
                    ]
                    access.append({"type": kind, "name": repo, "actions": granted})
                issuer.issued += 1
                token = issuer._sign(user or "anonymous", access)
                self._answer(200, {issuer.field: token, "expires_in": issuer.expires_in})

            def do_POST(self) -> None:
                """OAuth2 refresh-token grant (what docker does with an identity token)."""
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                user = issuer.refresh_tokens.get(form.get("refresh_token", [""])[0])
                if form.get("grant_type") != ["refresh_token"] or user is None:
                    self._answer(401, {"errors": [{"code": "UNAUTHORIZED"}]})
                    return
                scope = form.get("scope", [""])[0]
                issuer.requests.append({"user": user, "scope": scope, "grant": "refresh_token"})
                kind, _, rest = scope.partition(":")
                repo, _, actions = rest.rpartition(":")
                access = [{"type": kind, "name": repo, "actions": actions.split(",")}]
                issuer.issued += 1
                token = issuer._sign(user, access)
                self._answer(200, {"access_token": token, "expires_in": issuer.expires_in})

            def _answer(self, status: int, doc: Mapping[str, Any]) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
