"""Options shared by the commands that ask registries (`images inspect`, `lock`,
`check --resolve`), and the one function that turns them into a `ResolverConfig`."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer

__all__ = [
    "CACHE_DIR",
    "CA_FILE",
    "DOCKER_CONFIG",
    "HOSTS_DIR",
    "INSECURE",
    "NO_CACHE",
    "PULL_SECRET",
    "REGISTRIES_YAML",
    "REGISTRY_ENV_HELP",
    "failure_line",
    "inspect_with_progress",
    "resolve_check_kwargs",
    "resolver_config",
    "resolver_config_from",
]

REGISTRY_ENV_HELP = """\
\b
Registry access (see docs/registry.md):
  credentials  docker config.json (credHelpers/credsStore/auths), --pull-secret files
  mirrors      --registries-yaml (k3s) and --hosts-dir (containerd certs.d)
  cache        ARCHFIT_CACHE_DIR or --cache-dir (default: the user cache directory)
  plain HTTP   only for loopback registries and --insecure-registry / ARCHFIT_INSECURE_REGISTRIES
"""

CACHE_DIR: Any = typer.Option(
    None,
    "--cache-dir",
    envvar="ARCHFIT_CACHE_DIR",
    help="Directory of the resolver cache.",
    file_okay=False,
    show_default=False,
)
NO_CACHE: Any = typer.Option(
    False, "--no-cache", help="Do not read or write the persistent cache (ask the registries)."
)
DOCKER_CONFIG: Any = typer.Option(
    None,
    "--docker-config",
    help="docker config.json for credentials (default: $DOCKER_CONFIG/config.json or "
    "~/.docker/config.json).",
    dir_okay=False,
    show_default=False,
)
PULL_SECRET: Any = typer.Option(
    None,
    "--pull-secret",
    help="File of Kubernetes pull secrets (dockerconfigjson or dockercfg); repeatable. "
    "Matched to images with the kubelet's rules.",
    dir_okay=False,
    show_default=False,
)
REGISTRIES_YAML: Any = typer.Option(
    None,
    "--registries-yaml",
    envvar="ARCHFIT_REGISTRIES_YAML",
    help="k3s/RKE2 registries.yaml: ask the mirrors the nodes pull from.",
    dir_okay=False,
    show_default=False,
)
HOSTS_DIR: Any = typer.Option(
    None,
    "--hosts-dir",
    envvar="ARCHFIT_HOSTS_DIR",
    help="containerd hosts directory (e.g. /etc/containerd/certs.d).",
    file_okay=False,
    show_default=False,
)
INSECURE: Any = typer.Option(
    None,
    "--insecure-registry",
    help="Registry (host[:port]) that may be reached over plain HTTP; repeatable. "
    "Env: ARCHFIT_INSECURE_REGISTRIES (comma-separated). Loopback registries always may.",
    show_default=False,
)
CA_FILE: Any = typer.Option(
    None,
    "--ca-file",
    help="Extra CA certificates (PEM) to trust for registries.",
    dir_okay=False,
    show_default=False,
)


def resolver_config(
    *,
    cache_dir: Path | None,
    no_cache: bool,
    docker_config: Path | None,
    pull_secrets: list[Path] | None,
    registries_yaml: Path | None,
    hosts_dir: Path | None,
    insecure: list[str] | None,
    ca_file: Path | None,
) -> Any:
    """A `ResolverConfig` from the shared options (imported lazily: it loads httpx2)."""
    from archfit.registry import ResolverConfig  # noqa: PLC0415

    env = os.environ.get("ARCHFIT_INSECURE_REGISTRIES", "")
    insecure_set = {h.strip() for h in [*(insecure or []), *env.split(",")] if h.strip()}
    return ResolverConfig(
        cache_dir=cache_dir,
        use_cache=not no_cache,
        docker_config=docker_config,
        pull_secrets=tuple(pull_secrets or ()),
        registries_yaml=registries_yaml,
        hosts_dir=hosts_dir,
        insecure_registries=frozenset(insecure_set),
        ca_file=str(ca_file) if ca_file else None,
    )


def resolver_config_from(params: Mapping[str, Any]) -> Any:
    """`resolver_config` from a command's parsed parameters (`ctx.params`). The command declares
    the options above as parameters named cache_dir, no_cache, docker_config, pull_secret,
    registries_yaml, hosts_dir, insecure_registry and ca_file."""
    return resolver_config(
        cache_dir=params["cache_dir"],
        no_cache=params["no_cache"],
        docker_config=params["docker_config"],
        pull_secrets=params["pull_secret"],
        registries_yaml=params["registries_yaml"],
        hosts_dir=params["hosts_dir"],
        insecure=params["insecure_registry"],
        ca_file=params["ca_file"],
    )


def failure_line(resolution: Any) -> str:
    """One line per failed image; the error already names the image when it came from it."""
    error = str(resolution.error)
    return error if resolution.ref.name in error else f"{resolution.ref.familiar}: {error}"


def inspect_with_progress(
    application: Any, refs: list[Any], config: Any, *, refresh: bool
) -> list[Any]:
    """Resolve `refs` (asyncio.run: this is the CLI's edge) behind a progress display; with -v,
    one line on stderr after it: the requests made and any announced rate limits."""
    import asyncio  # noqa: PLC0415

    from archfit.usecases.images import inspect_images  # noqa: PLC0415

    on_stats = (
        (lambda stats: application.terminal.info(stats.describe())) if application.verbose else None
    )
    with application.terminal.progress() as progress:
        results: list[Any] = asyncio.run(
            inspect_images(refs, config, progress=progress, refresh=refresh, on_stats=on_stats)
        )
    return results


def resolve_check_kwargs(
    application: Any,
    paths: list[Path],
    *,
    lock: Path | None,
    config: Path | None,
    manifests: Any,
    resolver: Any,
    more_findings: Any = None,
) -> dict[str, Any]:
    """`check --resolve`: resolve online (asyncio.run: this is the CLI's edge) every image the
    lockfile does not answer for, and return the `run_check` keyword arguments that use them."""
    import asyncio  # noqa: PLC0415

    from archfit.usecases.images import (  # noqa: PLC0415
        inspect_images,
        plan_check_images,
        resolution_findings,
        unreachable_finding,
    )

    terminal = application.terminal
    started = time.perf_counter()
    plan = plan_check_images(
        paths, lock=lock, config=config, manifests=manifests, reading=application.reading()
    )
    resolutions = []
    if plan.missing:
        with terminal.progress() as progress:
            resolutions = asyncio.run(
                inspect_images(list(plan.missing), resolver, progress=progress)
            )
    failed = [r for r in resolutions if not r.ok]
    if application.verbose and plan.missing:
        terminal.info(
            f"resolved {len(resolutions) - len(failed)} of {len(resolutions)} images missing "
            f"from the lockfile online in {time.perf_counter() - started:.2f}s"
        )
    if failed and application.verbose > 1:
        for resolution in failed:
            terminal.warn(f"{resolution.ref.familiar}: {resolution.error}")
    image_findings = [f for r in resolutions for f in resolution_findings(r)]
    if failed:
        # Said once, not per image; the check goes on with those images unresolved.
        terminal.warn(
            f"{len(failed)} of {len(resolutions)} images could not be resolved online "
            "(no registry answered for them); continuing without their platforms"
        )
        image_findings.append(unreachable_finding(failed))

    def more(images: Any) -> list[Any]:
        # Findings about the images themselves (child-digest-pinned), after any others.
        earlier = list(more_findings(images)) if more_findings is not None else []
        return earlier + image_findings

    return {"images": plan.images(resolutions), "manifests": plan.manifests, "more_findings": more}
