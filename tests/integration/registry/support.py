"""Real registries on loopback for tests and benchmarks.

`RegistryProcess` runs Debian's `docker-registry` (CNCF distribution) with a generated config on
127.0.0.1 port 0 and reads the address it bound from its log. `make_ca` builds a CA and a server
certificate with `cryptography`; `TokenIssuer` is a small HTTP token service signing JWTs the way
distribution's `auth: token` expects (ES256, certificate chain in the `x5c` header).
`Pusher` uploads blobs and manifests through the registry's HTTP API, and `build_*` make test
images: single-platform manifests with a config blob, OCI indexes and Docker manifest lists
with attestation and Windows entries.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import yaml

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
INTOTO = "application/vnd.in-toto+json"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


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
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("archfit test CA"))
        .issuer_name(name("archfit test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(common: str, sans: list[x509.GeneralName]) -> tuple[x509.Certificate, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(common))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return builder.sign(ca_key, hashes.SHA256()), pem_key(key)

    server, server_key = leaf(
        "127.0.0.1",
        [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
    )
    signer, signer_key = leaf("archfit token issuer", [])
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "server.pem").write_bytes(server.public_bytes(pem))
    (directory / "server-key.pem").write_bytes(server_key)
    (directory / "signer.pem").write_bytes(signer.public_bytes(pem))
    return CertificateSet(
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server-key.pem",
        directory / "signer.pem",
        signer_key,
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
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/token"

    def start(self) -> TokenIssuer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

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


# -- pushing images --------------------------------------------------------------------------


class Pusher:
    """Uploads blobs and manifests. `authorization` is a header value (or a callable per repo)."""

    def __init__(
        self,
        base_url: str,
        *,
        verify: Any = True,
        basic: tuple[str, str] | None = None,
        token_realm: str | None = None,
        token_service: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = httpx2.Client(verify=verify, timeout=30.0)
        self.basic = basic
        self.token_realm, self.token_service = token_realm, token_service
        self._tokens: dict[str, str] = {}

    def close(self) -> None:
        self.client.close()

    def _headers(self, repo: str) -> dict[str, str]:
        if self.token_realm and self.basic:
            token = self._tokens.get(repo)
            if token is None:
                resp = self.client.get(
                    self.token_realm,
                    params={"service": self.token_service, "scope": f"repository:{repo}:pull,push"},
                    auth=self.basic,
                )
                resp.raise_for_status()
                token = self._tokens[repo] = resp.json()["token"]
            return {"Authorization": f"Bearer {token}"}
        if self.basic:
            raw = f"{self.basic[0]}:{self.basic[1]}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        return {}

    def blob(self, repo: str, data: bytes, media_type: str) -> dict[str, Any]:
        digest = sha256(data)
        headers = self._headers(repo)
        head = self.client.head(f"{self.base_url}/v2/{repo}/blobs/{digest}", headers=headers)
        if head.status_code != 200:
            start = self.client.post(f"{self.base_url}/v2/{repo}/blobs/uploads/", headers=headers)
            assert start.status_code == 202, start.text
            location = start.headers["location"]
            if location.startswith("/"):
                location = self.base_url + location
            sep = "&" if "?" in location else "?"
            done = self.client.put(
                f"{location}{sep}digest={digest}",
                content=data,
                headers={**headers, "Content-Type": "application/octet-stream"},
            )
            assert done.status_code == 201, done.text
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        resp = self.client.put(
            f"{self.base_url}/v2/{repo}/manifests/{reference}",
            content=body,
            headers={**self._headers(repo), "Content-Type": media_type},
        )
        assert resp.status_code == 201, resp.text
        return sha256(body)


@dataclass(frozen=True)
class Pushed:
    """A pushed image: its digest, media type and (for indexes) children by platform."""

    repo: str
    tag: str
    digest: str
    media_type: str
    children: Mapping[str, str] = field(default_factory=dict)  # "linux/arm/v7" → digest
    size: int = 0


def push_single(
    pusher: Pusher,
    repo: str,
    tag: str | None,
    *,
    os: str = "linux",
    arch: str = "amd64",
    variant: str = "",
    docker: bool = False,
    salt: str = "",
    os_version: str = "",
) -> Pushed:
    """A single-platform image: config blob with the platform, one small layer."""
    config: dict[str, Any] = {
        "architecture": arch,
        "os": os,
        "rootfs": {"type": "layers", "diff_ids": []},
        "config": {"Labels": {"archfit.test": salt or f"{repo}:{tag}:{os}/{arch}/{variant}"}},
    }
    if variant:
        config["variant"] = variant
    if os_version:
        config["os.version"] = os_version
    config_type, manifest_type, layer_type = (
        (DOCKER_CONFIG, DOCKER_MANIFEST, DOCKER_LAYER)
        if docker
        else (OCI_CONFIG, OCI_MANIFEST, OCI_LAYER)
    )
    config_desc = pusher.blob(repo, canonical(config), config_type)
    layer_desc = pusher.blob(repo, b"archfit test layer " + repo.encode(), layer_type)
    manifest = {
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": config_desc,
        "layers": [layer_desc],
    }
    body = canonical(manifest)
    digest = pusher.manifest(repo, tag or sha256(body), body, manifest_type)
    return Pushed(repo, tag or "", digest, manifest_type, size=len(body))


def push_attestation(
    pusher: Pusher,
    repo: str,
    subject: str,
    *,
    tag: str | None = None,
    config_type: str = OCI_CONFIG,
) -> dict[str, Any]:
    config = pusher.blob(repo, b"{}", config_type)
    statement = pusher.blob(repo, canonical({"subject": subject}), INTOTO)
    body = canonical(
        {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [statement]}
    )
    digest = pusher.manifest(repo, tag or sha256(body), body, OCI_MANIFEST)
    return {
        "mediaType": OCI_MANIFEST,
        "digest": digest,
        "size": len(body),
        "platform": {"architecture": "unknown", "os": "unknown"},
        "annotations": {
            "vnd.docker.reference.digest": subject,
            "vnd.docker.reference.type": "attestation-manifest",
        },
    }


def push_index(
    pusher: Pusher,
    repo: str,
    tag: str,
    platforms: Sequence[str],
    *,
    docker: bool = False,
    attestations: bool = False,
    salt: str = "",
) -> Pushed:
    """An OCI index (or Docker manifest list) of single-platform children, e.g.
    `["linux/amd64", "linux/arm64", "linux/arm/v7", "windows/amd64"]`."""
    entries: list[dict[str, Any]] = []
    children: dict[str, str] = {}
    for text in platforms:
        os_, arch, *rest = text.split("/")
        variant = rest[0] if rest else ""
        child = push_single(
            pusher,
            repo,
            None,
            os=os_,
            arch=arch,
            variant=variant,
            docker=docker,
            salt=f"{salt}{repo}:{tag}:{text}",
            os_version="10.0.20348.2322" if os_ == "windows" else "",
        )
        platform: dict[str, Any] = {"architecture": arch, "os": os_}
        if variant:
            platform["variant"] = variant
        if os_ == "windows":
            platform["os.version"] = "10.0.20348.2322"
        entries.append(
            {
                "mediaType": child.media_type,
                "digest": child.digest,
                "size": child.size,
                "platform": platform,
            }
        )
        children[text] = child.digest
        if attestations and not docker:
            entries.append(push_attestation(pusher, repo, child.digest))
    media_type = DOCKER_LIST if docker else OCI_INDEX
    body = canonical({"schemaVersion": 2, "mediaType": media_type, "manifests": entries})
    digest = pusher.manifest(repo, tag, body, media_type)
    return Pushed(repo, tag, digest, media_type, children, size=len(body))


@dataclass
class RunningRegistry:
    """A started registry with what was pushed to it, keyed by `repo:tag`."""

    process: RegistryProcess
    images: dict[str, Pushed] = field(default_factory=dict)
    ca: Path | None = None
    issuer: TokenIssuer | None = None

    @property
    def host(self) -> str:
        return self.process.host

    def ref(self, name: str) -> str:
        return f"{self.host}/{name}"


def serve_forever_in_thread(server: ThreadingHTTPServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


# -- a fault-injecting proxy in front of a real registry -------------------------------------


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
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
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
