"""Options shared by the commands that ask registries (`images inspect`, `lock`, `webhook`,
and the first run of `check`, `simulate` and `fix`), declared once (`registry_options`), the
one function that turns them into a `ResolverConfig`, and the one online first run."""

from __future__ import annotations

import functools
import inspect
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import typer

from archfit.cli.application import Abort

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
    "registry_options",
    "resolve_check_kwargs",
    "resolve_online",
    "resolver_config",
    "resolver_config_from",
    "wants_online",
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


# (parameter name, annotation, option) of every registry option, in their --help order.
_REGISTRY_PARAMETERS: tuple[tuple[str, Any, Any], ...] = (
    ("cache_dir", Path | None, CACHE_DIR),
    ("no_cache", bool, NO_CACHE),
    ("docker_config", Path | None, DOCKER_CONFIG),
    ("pull_secret", list[Path] | None, PULL_SECRET),
    ("registries_yaml", Path | None, REGISTRIES_YAML),
    ("hosts_dir", Path | None, HOSTS_DIR),
    ("insecure_registry", list[str] | None, INSECURE),
    ("ca_file", Path | None, CA_FILE),
)

Command = TypeVar("Command", bound=Callable[..., Any])


def registry_options(command: Command) -> Command:
    """Give a typer command the registry options, after its own (typer reads the signature).
    The command does not receive them as arguments: it reads them from `ctx.params` with
    `resolver_config_from`, so each command declares them with this one line."""
    signature = inspect.signature(command)
    names = [name for name, _, _ in _REGISTRY_PARAMETERS]

    @functools.wraps(command)
    def with_registry_options(*args: Any, **kwargs: Any) -> Any:
        for name in names:
            kwargs.pop(name, None)
        return command(*args, **kwargs)

    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
        for name, kind, option in _REGISTRY_PARAMETERS
    ]
    with_registry_options.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *extra]
    )
    with_registry_options.__annotations__ = {
        **command.__annotations__,
        **{name: kind for name, kind, _ in _REGISTRY_PARAMETERS},
    }
    return with_registry_options  # type: ignore[return-value]


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


def wants_online(
    ctx: typer.Context,
    paths: Sequence[Path],
    *,
    lock: Path | None,
    config: Path | None,
    resolve: bool,
    offline: bool,
) -> bool:
    """Whether `check`, `simulate` or `fix` asks the registries: with `--resolve` (for images
    the lockfile lacks), or on a first run (no lockfile found), never with `--offline`. A
    lockfile, where present, is authoritative (reproducible CI). `--resolve` beats
    ARCHFIT_OFFLINE but contradicts `--offline` on the command line (exit 2)."""
    if resolve and offline:
        # click's ParameterSource is private to typer; its member names are stable.
        source = ctx.get_parameter_source("offline")
        if source is None or source.name != "ENVIRONMENT":
            raise Abort("--resolve and --offline contradict each other; give one")
        offline = False
    if offline or not (resolve or paths):
        return False
    if resolve:
        return True
    from archfit.usecases.check import find_check_lockfile  # noqa: PLC0415

    return find_check_lockfile(paths, lock=lock, config=config) is None


def resolve_online(
    application: Any,
    paths: Sequence[Path],
    *,
    lock: Path | None,
    config: Path | None,
    manifests: Any,
    resolver: Any,
) -> Any:
    """Resolve online (asyncio.run: this is the CLI's edge) every image the lockfile does not
    answer for, behind a progress bar on a terminal; an `OnlineImages`. When registries do not
    answer, says so once on stderr and carries on (the images stay unresolved)."""
    import asyncio  # noqa: PLC0415

    from archfit.usecases.images import (  # noqa: PLC0415
        plan_check_images,
        resolve_missing_images,
    )

    terminal = application.terminal
    started = time.perf_counter()
    plan = plan_check_images(
        list(paths), lock=lock, config=config, manifests=manifests, reading=application.reading()
    )
    with terminal.progress() as progress:
        online = asyncio.run(resolve_missing_images(plan, resolver, progress=progress))
    failed, resolutions = online.failed, online.resolutions
    if application.verbose and plan.missing:
        terminal.info(
            f"resolved {len(resolutions) - len(failed)} of {len(resolutions)} images missing "
            f"from the lockfile online in {time.perf_counter() - started:.2f}s"
        )
    if failed and application.verbose > 1:
        for resolution in failed:
            terminal.warn(f"{resolution.ref.familiar}: {resolution.error}")
    if failed:
        # Said once, not per image; the command goes on with those images unresolved.
        terminal.warn(
            f"{len(failed)} of {len(resolutions)} images could not be resolved online "
            "(no registry answered for them); continuing without their platforms"
        )
    return online


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
    """`resolve_online`, as the `run_check` keyword arguments that use what it resolved."""
    online = resolve_online(
        application, paths, lock=lock, config=config, manifests=manifests, resolver=resolver
    )
    image_findings: list[Any] = online.findings()

    def more(images: Any) -> list[Any]:
        # Findings about the images themselves (child-digest-pinned), after any others.
        earlier = list(more_findings(images)) if more_findings is not None else []
        return earlier + image_findings

    return {"images": online.images, "manifests": online.plan.manifests, "more_findings": more}
