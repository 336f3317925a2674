"""Finding the cluster: kubeconfig files with contexts, or the in-cluster service account.

Order, as kubectl: an explicit `--kubeconfig PATH`; else the in-cluster service account when
running in a pod and no context was named; else `$KUBECONFIG` (the first existing file of a
colon-separated list); else `~/.kube/config`. Bearer tokens, token files, client certificates
(files or inline `*-data`), custom certificate authorities and exec plugins are all handled by
lightkube's connection layer; this module only chooses and validates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lightkube.config.kubeconfig import KubeConfig, SingleConfig
from lightkube.core.exceptions import ConfigError

from archfit.kube.errors import KubeConfigError

__all__ = ["SERVICE_ACCOUNT_DIR", "Target", "load_target"]

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True, slots=True)
class Target:
    """The chosen connection: lightkube's config plus where it came from (for messages)."""

    config: SingleConfig
    origin: str  # "kubeconfig ~/.kube/config context prod" or "in-cluster service account"

    @property
    def server(self) -> str:
        return str(self.config.cluster.server)

    @property
    def context(self) -> str:
        return str(self.config.context_name)


def _candidate_files(kubeconfig: Path | None) -> list[Path]:
    if kubeconfig is not None:
        return [kubeconfig]
    env = os.environ.get("KUBECONFIG", "")
    files = [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return files or [Path("~/.kube/config").expanduser()]


def _require_kubeconfig_shape(path: Path) -> None:
    """One line naming the line (YAML syntax) or the field (shape) of a broken kubeconfig,
    before the client library reads it and reports the same problems as multi-line errors."""
    import yaml  # noqa: PLC0415

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark is not None else 0
        raise KubeConfigError(
            f"invalid YAML: {err.problem or err}", where=f"{path}:{line}" if line else str(path)
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise KubeConfigError(f"cannot read kubeconfig: {err}", where=str(path)) from None
    if not isinstance(doc, dict):
        raise KubeConfigError(
            "expected a kubeconfig mapping (apiVersion: v1, kind: Config)", where=str(path)
        )
    for key in ("clusters", "contexts", "users"):
        value = doc.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise KubeConfigError(
                f"{key}: expected a list of entries with name: and {key[:-1]}:", where=str(path)
            )


def load_target(
    *,
    kubeconfig: Path | None = None,
    context: str | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
) -> Target:
    """Choose the cluster to talk to; raises `KubeConfigError` naming what is missing."""
    in_cluster = (
        bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
        and (service_account_dir / "token").is_file()
    )
    if kubeconfig is None and context is None and in_cluster:
        try:
            sa = KubeConfig.from_service_account(service_account=service_account_dir).get()
        except (ConfigError, KeyError, OSError) as err:
            raise KubeConfigError(f"in-cluster service account unusable: {err}") from None
        assert sa is not None
        return Target(sa, "in-cluster service account")
    files = _candidate_files(kubeconfig)
    existing = [f for f in files if f.is_file()]
    if not existing:
        names = ", ".join(str(f) for f in files)
        raise KubeConfigError(
            f"no kubeconfig found ({names}); pass --kubeconfig PATH or set KUBECONFIG"
        )
    path = existing[0]
    _require_kubeconfig_shape(path)
    try:
        loaded = KubeConfig.from_file(path)
    except (ConfigError, KeyError, TypeError, ValueError) as err:
        detail = " ".join(str(err).split())
        raise KubeConfigError(f"cannot read kubeconfig: {detail}", where=str(path)) from None
    except Exception as err:  # noqa: BLE001 - YAML/msgspec errors: one line, never a traceback
        detail = " ".join(f"{type(err).__name__}: {err}".split())
        raise KubeConfigError(f"cannot read kubeconfig: {detail}", where=str(path)) from None
    if context is not None and context not in loaded.contexts:
        known = ", ".join(sorted(loaded.contexts)) or "none"
        raise KubeConfigError(f"context {context!r} not found (contexts: {known})", where=str(path))
    try:
        single = loaded.get(context)
    except ConfigError as err:
        raise KubeConfigError(
            f"{err}; pass --context NAME (contexts: {', '.join(sorted(loaded.contexts))})",
            where=str(path),
        ) from None
    except KeyError as err:
        raise KubeConfigError(
            f"context refers to a cluster or user that is not defined: {err}", where=str(path)
        ) from None
    assert single is not None
    if single.user is None:
        raise KubeConfigError(
            f"context {single.context_name!r} has no user; add one with credentials",
            where=str(path),
        )
    return Target(single, f"kubeconfig {path} context {single.context_name}")
