"""Credentials from Kubernetes image pull secrets, matched with the kubelet's rules.

Two secret types carry registry credentials:

- `kubernetes.io/dockerconfigjson`: `data[".dockerconfigjson"]` is a docker config with `auths`;
- `kubernetes.io/dockercfg` (legacy): `data[".dockercfg"]` is the `auths` mapping itself.

`data` values are base64 (as stored in the API); `stringData` values are plain. Keys are matched
against images with `keyring.registry_matches` (host globs, equal ports, path prefixes), most
specific first, as the kubelet does when it picks a pull secret for an image.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from archfit.registry.credentials.dockerconfig import credential_from_auth_entry
from archfit.registry.credentials.interface import Credential
from archfit.registry.credentials.keyring import Keyring
from archfit.registry.errors import RegistryConfigError

__all__ = ["PullSecretProvider", "load_pull_secret_files"]

DOCKERCONFIGJSON = "kubernetes.io/dockerconfigjson"
DOCKERCFG = "kubernetes.io/dockercfg"


@dataclass
class PullSecretProvider:
    """Credentials from a set of pull secrets (decoded Secret objects)."""

    keyring: Keyring[Credential] = field(default_factory=Keyring)

    @classmethod
    def from_secrets(cls, secrets: Iterable[tuple[str, Mapping[str, Any]]]) -> PullSecretProvider:
        """Build from `(where, secret)` pairs; `where` names the file for error messages."""
        provider = cls()
        for where, secret in secrets:
            provider.add_secret(secret, where=where)
        return provider

    def add_secret(self, secret: Mapping[str, Any], *, where: str) -> None:
        kind = secret.get("type")
        name = str((secret.get("metadata") or {}).get("name") or "?")
        here = f"{where}: Secret {name}"
        if kind == DOCKERCONFIGJSON:
            doc = _payload(secret, ".dockerconfigjson", here)
            auths = doc.get("auths") if isinstance(doc, Mapping) else None
            if not isinstance(auths, Mapping):
                raise RegistryConfigError("expected .dockerconfigjson with auths", where=here)
        elif kind == DOCKERCFG:
            auths = _payload(secret, ".dockercfg", here)
            if not isinstance(auths, Mapping):
                raise RegistryConfigError("expected .dockercfg to be a mapping", where=here)
        else:
            return  # other secret types carry no registry credentials
        for key, entry in auths.items():
            cred = credential_from_auth_entry(
                entry, source=f"Secret {name}", where=f"{here}: auths.{key}"
            )
            if cred is not None:
                self.keyring.add(str(key), cred)

    async def lookup(self, registry: str, repository: str) -> Credential | None:
        found = self.keyring.lookup(registry, repository)
        return found[0] if found else None


def _payload(secret: Mapping[str, Any], key: str, where: str) -> Any:
    string_data = secret.get("stringData") or {}
    data = secret.get("data") or {}
    if isinstance(string_data, Mapping) and key in string_data:
        text = str(string_data[key])
    elif isinstance(data, Mapping) and key in data:
        try:
            text = base64.b64decode(str(data[key]), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise RegistryConfigError(f"data[{key!r}] is not base64", where=where) from None
    else:
        raise RegistryConfigError(f"missing data[{key!r}]", where=where)
    try:
        return json.loads(text)
    except ValueError:
        raise RegistryConfigError(f"data[{key!r}] is not JSON", where=where) from None


def load_pull_secret_files(paths: Iterable[Path]) -> PullSecretProvider:
    """Read Secret objects (YAML or JSON, multi-document, or `kind: List`) from files."""
    pairs: list[tuple[str, Mapping[str, Any]]] = []
    for path in paths:
        try:
            docs = list(yaml.safe_load_all(path.read_text()))
        except OSError as err:
            raise RegistryConfigError(f"cannot read: {err.strerror}", where=str(path)) from None
        except yaml.YAMLError as err:
            raise RegistryConfigError(f"not YAML: {err}", where=str(path)) from None
        for doc in docs:
            items = doc.get("items") if isinstance(doc, Mapping) and "items" in doc else [doc]
            for item in items or []:
                if isinstance(item, Mapping) and item.get("kind", "Secret") == "Secret":
                    pairs.append((str(path), item))
    return PullSecretProvider.from_secrets(pairs)
