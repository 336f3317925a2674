"""Credentials from a Docker `config.json`, the way the docker CLI reads them.

Lookup order for a registry host: `credHelpers[host]` (a `docker-credential-<name>` program),
then `credsStore` (one program for every host), then the inline `auths` entry. Keys of `auths`
are host names, optionally with a scheme and a path (`https://index.docker.io/v1/` is Docker
Hub); matching is by exact host, as docker does (no globs — those are the kubelet's, see
`pullsecrets`). A helper is run as `docker-credential-<name> get` with the server URL on stdin and
answers `{"ServerURL", "Username", "Secret"}`; a `Username` of `<token>` means the secret is an
identity (refresh) token. Helpers run as asyncio subprocesses: a slow keychain prompt never
blocks the event loop the resolver's other requests run on.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archfit.registry.credentials.interface import Credential
from archfit.registry.credentials.keyring import normalize_key
from archfit.registry.errors import AuthenticationError, RegistryConfigError

__all__ = ["DockerConfigProvider", "credential_from_auth_entry", "default_docker_config"]

HUB_SERVER_URL = "https://index.docker.io/v1/"
HELPER_TIMEOUT = 15.0  # seconds; a keychain prompt may take a moment, a hung helper must not


def default_docker_config() -> Path:
    """`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`."""
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def credential_from_auth_entry(entry: Any, *, source: str, where: str) -> Credential | None:
    """Decode one `auths` value: `auth` (base64 user:password), `username`/`password`, or
    `identitytoken`. Returns None for an entry with nothing usable."""
    if not isinstance(entry, Mapping):
        raise RegistryConfigError("expected a mapping with auth or username/password", where=where)
    token = entry.get("identitytoken") or entry.get("identityToken")
    username, password = entry.get("username"), entry.get("password")
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise RegistryConfigError("auth is not base64 of user:password", where=where) from None
        if ":" not in decoded:
            raise RegistryConfigError("auth does not decode to user:password", where=where)
        username, password = decoded.split(":", 1)
    if isinstance(token, str) and token:
        return Credential(str(username or "<token>"), token, identity_token=True, source=source)
    if isinstance(username, str) and username and isinstance(password, str):
        return Credential(username, password, source=source)
    return None


def _server_url(host: str) -> str:
    return HUB_SERVER_URL if host == "docker.io" else host


@dataclass
class DockerConfigProvider:
    """Reads one docker `config.json` (missing file: no credentials)."""

    path: Path
    _auths: dict[str, Credential] = field(default_factory=dict, init=False)
    _helpers: dict[str, str] = field(default_factory=dict, init=False)
    _store: str | None = field(default=None, init=False)
    _helper_cache: dict[tuple[str, str], Credential | None] = field(default_factory=dict)
    # One run per (helper, host) even when many images of a host are resolved at once.
    _helper_locks: dict[tuple[str, str], asyncio.Lock] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return
        except OSError as err:
            raise RegistryConfigError(
                f"cannot read: {err.strerror}", where=str(self.path)
            ) from None
        try:
            doc = json.loads(text) if text.strip() else {}
        except ValueError as err:
            raise RegistryConfigError(f"not JSON: {err}", where=str(self.path)) from None
        if not isinstance(doc, Mapping):
            raise RegistryConfigError("expected a JSON object", where=str(self.path))
        auths = doc.get("auths", {})
        if not isinstance(auths, Mapping):
            raise RegistryConfigError("expected a mapping", where=f"{self.path}: auths")
        for key, entry in auths.items():
            host, _ = normalize_key(str(key))
            cred = credential_from_auth_entry(
                entry, source=str(self.path), where=f"{self.path}: auths.{key}"
            )
            if cred is not None:
                self._auths.setdefault(host, cred)
        helpers = doc.get("credHelpers", {})
        if not isinstance(helpers, Mapping):
            raise RegistryConfigError("expected a mapping", where=f"{self.path}: credHelpers")
        self._helpers = {normalize_key(str(k))[0]: str(v) for k, v in helpers.items()}
        store = doc.get("credsStore")
        self._store = str(store) if store else None

    async def lookup(self, registry: str, repository: str) -> Credential | None:
        host, _ = normalize_key(registry)
        helper = self._helpers.get(host) or self._store
        if helper:
            found = await self._helper_credential(helper, host)
            if found is not None:
                return found
        return self._auths.get(host)

    async def _helper_credential(self, helper: str, host: str) -> Credential | None:
        key = (helper, host)
        if key in self._helper_cache:
            return self._helper_cache[key]
        lock = self._helper_locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._helper_cache:
                self._helper_cache[key] = await _run_helper(helper, host)
        return self._helper_cache[key]


async def _run_helper(helper: str, host: str) -> Credential | None:
    program = f"docker-credential-{helper}"
    try:
        proc = await asyncio.create_subprocess_exec(
            program,
            "get",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            # Its own process group, so a timeout stops what a helper script started as well
            # (a child still holding the pipes would keep the wait open).
            start_new_session=True,
        )
    except FileNotFoundError:
        raise AuthenticationError(
            f"credential helper {program} (for {host}) is not on PATH"
        ) from None
    try:
        out, err = await asyncio.wait_for(
            proc.communicate(_server_url(host).encode()), HELPER_TIMEOUT
        )
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        raise AuthenticationError(
            f"credential helper {program} did not answer within {HELPER_TIMEOUT:g}s"
        ) from None
    stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace")
    result: Credential | None = None
    if proc.returncode != 0:
        if "not found" not in (stdout + stderr).lower():
            raise AuthenticationError(
                f"credential helper {program} failed for {host} (exit {proc.returncode})"
            )
    else:
        try:
            answer = json.loads(stdout)
            username, secret = str(answer["Username"]), str(answer["Secret"])
        except (ValueError, KeyError, TypeError):
            raise AuthenticationError(
                f"credential helper {program} gave an answer that is not {{Username, Secret}} JSON"
            ) from None
        if secret:
            result = Credential(
                username, secret, identity_token=username == "<token>", source=program
            )
    return result
