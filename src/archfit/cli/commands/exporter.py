"""`archfit exporter`: serve Prometheus metrics about the running cluster's architectures."""

from __future__ import annotations

from pathlib import Path

import typer

from archfit.cli.application import Abort, Application
from archfit.cli.commands._common import CONFIG, LOCK
from archfit.cli.commands._kube import CONTEXT, KUBECONFIG
from archfit.cli.commands._registry import CACHE_DIR, resolver_config

__all__ = ["register"]

HELP = """Watch the cluster and serve Prometheus metrics per architecture.

\b
Watches nodes, pods, ReplicaSets, Jobs, DaemonSets and events (list once, then watch; a
410 relists), keeps an in-memory view, and serves from it (never a list per scrape):
  /metrics   capacity and requests per arch and instance type, pods Pending because of
             placement, exec format errors, DaemonSet coverage per arch, heavy pods on Pis,
             images lacking an arch the cluster runs, and the exporter's own health
  /healthz   200 while serving;  /readyz  200 once every resource has been listed

Images are resolved in the background, a few at a time (the lockfile from --lock first, then
the registry cache in --cache-dir, then the registry); --no-resolve uses the lockfile only.
Rules and a Grafana dashboard: deploy/monitoring/ (docs/monitoring.md).

\b
Examples:
  archfit exporter --listen 0.0.0.0:9090
  archfit exporter --listen 127.0.0.1:9090 --context homelab --config archfit.yaml

Needs get/list/watch on nodes, pods, events, replicasets, jobs and daemonsets.
"""


def register(app: typer.Typer) -> None:
    @app.command("exporter", help=HELP)
    def exporter(  # noqa: PLR0917 - typer passes every option positionally
        ctx: typer.Context,
        listen: str = typer.Option(
            "127.0.0.1:9090",
            "--listen",
            envvar="ARCHFIT_LISTEN",
            help="HOST:PORT to serve on (port 0: any free port).",
        ),
        kubeconfig: Path | None = KUBECONFIG,
        context: str | None = CONTEXT,
        config: Path | None = CONFIG,
        lock: Path | None = LOCK,
        cache_dir: Path | None = CACHE_DIR,
        resolve: bool = typer.Option(
            True, "--resolve/--no-resolve", help="Resolve images in the background."
        ),
    ) -> None:
        import asyncio  # noqa: PLC0415

        from archfit.policy import Settings  # noqa: PLC0415
        from archfit.service.exporter.run import ExporterOptions, parse_listen, serve  # noqa: PLC0415
        from archfit.usecases.config import load_settings  # noqa: PLC0415

        app_: Application = ctx.obj
        for given, what in ((config, "--config"), (lock, "--lock")):
            if given is not None and not given.is_file():
                raise Abort(f"{what}: {given} is not a file")
        host, port = parse_listen(listen)
        options = ExporterOptions(
            host=host,
            port=port,
            settings=load_settings(config) if config is not None else Settings(),
            kubeconfig=kubeconfig,
            context=context,
            lock=lock,
            resolver=resolver_config(
                cache_dir=cache_dir,
                no_cache=False,
                docker_config=None,
                pull_secrets=None,
                registries_yaml=None,
                hosts_dir=None,
                insecure=None,
                ca_file=None,
            )
            if resolve
            else None,
        )
        asyncio.run(serve(options, lambda url: app_.terminal.info(f"serving metrics on {url}")))
