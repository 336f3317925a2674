"""`archfit webhook`: the admission webhook server (run in the cluster by the Helm chart)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from archfit.cli.application import Abort
from archfit.cli.commands._kube import CONTEXT, KUBECONFIG
from archfit.cli.commands._registry import registry_options, resolver_config_from
from archfit.errors import InputError

__all__ = ["register"]

HELP = """Serve the admission webhook over HTTPS: POST /mutate, POST /validate, GET /healthz,
GET /readyz, GET /metrics, all on one port.

/mutate patches new Pods (and warns about `kubectl debug` images) with the placement
`archfit check` computes, by the same rewrite as `archfit fix`; /validate answers Deployments,
StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs with warnings. Image platforms come
from --lock, then the cache, then the registry within --registry-budget seconds; an image not
verified in time gets the fallback placement (--fallback-arch, default amd64).

\b
Examples:
  archfit webhook --tls-cert-file tls.crt --tls-private-key-file tls.key \\
      --config archfit.yaml --lock archfit.lock --cache-dir /var/cache/archfit
  archfit webhook --listen 127.0.0.1:8443 --tls-cert-file c --tls-private-key-file k \\
      --cluster cluster.yaml        # a fixed inventory, no API server

Inside a pod the service account is used (nodes: list and watch).
"""


def register(app: typer.Typer) -> None:
    @app.command("webhook", help=HELP)
    @registry_options
    def webhook(  # noqa: PLR0917 - typer passes every option positionally
        ctx: typer.Context,
        listen: str = typer.Option("0.0.0.0:8443", "--listen", help="HOST:PORT to serve on."),
        tls_cert_file: Path = typer.Option(  # noqa: B008 - typer declares options as defaults
            ...,
            "--tls-cert-file",
            help="PEM certificate (chain); reloaded when it changes.",
            dir_okay=False,
        ),
        tls_private_key_file: Path = typer.Option(  # noqa: B008
            ...,
            "--tls-private-key-file",
            help="PEM private key; reloaded when it changes.",
            dir_okay=False,
        ),
        config: Path | None = typer.Option(  # noqa: B008
            None,
            "--config",
            help="Policy file (archfit.yaml); reloaded when it changes.",
            dir_okay=False,
        ),
        lock: Path | None = typer.Option(  # noqa: B008
            None,
            "--lock",
            help="archfit.lock: platforms known without asking a registry.",
            dir_okay=False,
        ),
        cluster: Path | None = typer.Option(  # noqa: B008
            None,
            "--cluster",
            help="Node inventory file (cluster.yaml or `kubectl get nodes -o yaml`) instead of "
            "watching the API server's nodes.",
            dir_okay=False,
        ),
        kubeconfig: Path | None = KUBECONFIG,
        context: str | None = CONTEXT,
        fallback_arch: list[str] | None = typer.Option(  # noqa: B008
            None,
            "--fallback-arch",
            help="Architecture for pods with unverified images; repeatable (default amd64).",
        ),
        deny_daemonset_arch_gaps: bool = typer.Option(
            False,
            "--deny-daemonset-arch-gaps",
            help="Deny a DaemonSet whose images miss an architecture of its nodes (default: warn).",
        ),
        verified_taint: bool = typer.Option(
            False,
            "--verified-taint",
            help="Add the toleration for archfit.dev/verified=required:NoSchedule (the Pis' "
            "taint) to pods whose images were verified, and only to them.",
        ),
        registry_budget: float = typer.Option(
            2.0, "--registry-budget", help="Seconds one admission may wait for registries."
        ),
    ) -> None:
        # Imported here: the server stack (uvicorn, starlette) is the `service` extra.
        import asyncio  # noqa: PLC0415

        try:
            from archfit.service.webhook.logs import configure_logging  # noqa: PLC0415
            from archfit.service.webhook.server import ServerConfig, parse_listen, serve  # noqa: PLC0415
            from archfit.service.webhook.settings import WebhookOptions  # noqa: PLC0415
        except ImportError as err:
            raise Abort(
                f"the webhook needs the service extra: pip install 'archfit[service]' ({err.name})"
            ) from None

        parse_listen(listen)
        for path, option in (
            (tls_cert_file, "--tls-cert-file"),
            (tls_private_key_file, "--tls-private-key-file"),
            (config, "--config"),
            (lock, "--lock"),
        ):
            if path is not None and not path.is_file():
                raise InputError(f"no such file (given with {option})", where=str(path))
        if config is not None:
            from archfit.usecases.config import load_settings  # noqa: PLC0415

            load_settings(config)  # a policy that does not load stops here, naming file and line
        try:
            options = WebhookOptions(
                fallback_architectures=tuple(fallback_arch or ("amd64",)),
                deny_daemonset_arch_gaps=deny_daemonset_arch_gaps,
                verified_taint=verified_taint,
                registry_budget=registry_budget,
            )
        except ValueError as err:
            raise InputError(str(err)) from None
        nodes: Any = None
        if cluster is not None:
            from archfit.sources import load_inventory  # noqa: PLC0415

            nodes = tuple(load_inventory(cluster).nodes)
        configure_logging()
        server_config = ServerConfig(
            listen=listen,
            cert_file=tls_cert_file,
            key_file=tls_private_key_file,
            config=config,
            lock=lock,
            kubeconfig=kubeconfig,
            context=context,
            cluster_nodes=nodes,
            options=options,
            resolver=resolver_config_from(ctx.params),
        )
        try:
            # uvicorn's `standard` extra brings uvloop: its TLS path is much faster than asyncio's.
            import uvloop  # noqa: PLC0415
        except ImportError:  # pragma: no cover - the plain asyncio loop works too
            asyncio.run(serve(server_config))
        else:
            uvloop.run(serve(server_config))
