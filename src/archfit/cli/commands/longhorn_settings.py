"""`archfit longhorn-settings`: print Longhorn Helm values that keep storage off excluded nodes."""

from __future__ import annotations

from pathlib import Path

import typer

from archfit.cli.application import Abort, Application
from archfit.cli.commands._common import CONFIG
from archfit.cli.commands._kube import CONTEXT, KUBECONFIG

__all__ = ["register"]

HELP = """Print the Longhorn Helm values that keep storage off the excluded nodes (the Pis).

\b
  defaultSettings.createDefaultDiskLabeledNodes: true     default disks only on labelled nodes
  defaultSettings.systemManagedComponentsNodeSelector     Longhorn's own pods on storage nodes
  longhornManager/longhornDriver/longhornUI.nodeSelector  the chart's pods likewise
Storage nodes get node.longhorn.io/create-default-disk=true from `archfit label`. When they are
exactly the amd64 nodes the selector is kubernetes.io/arch=amd64 (no extra label needed).
Changing systemManagedComponentsNodeSelector later needs every Longhorn volume detached.

\b
Examples:
  archfit longhorn-settings --cluster cluster.yaml > longhorn-values.yaml
  archfit longhorn-settings --live --context homelab
"""


def register(app: typer.Typer) -> None:
    @app.command("longhorn-settings", help=HELP)
    def longhorn_settings(  # noqa: PLR0917 - typer passes every option positionally
        ctx: typer.Context,
        cluster: Path | None = typer.Option(  # noqa: B008 - typer declares options as defaults
            None, "--cluster", envvar="ARCHFIT_CLUSTER", help="Cluster inventory file."
        ),
        live: bool = typer.Option(False, "--live", help="Read the nodes from the cluster."),
        config: Path | None = CONFIG,
        kubeconfig: Path | None = KUBECONFIG,
        context: str | None = CONTEXT,
        output_format: str = typer.Option("yaml", "--format", help="yaml or json."),
    ) -> None:
        import asyncio  # noqa: PLC0415

        import yaml  # noqa: PLC0415

        from archfit.cli.commands.label import load_inventory_nodes  # noqa: PLC0415
        from archfit.policy import Settings  # noqa: PLC0415
        from archfit.usecases.config import load_settings  # noqa: PLC0415
        from archfit.usecases.live import read_live  # noqa: PLC0415
        from archfit.usecases.longhorn import longhorn_values  # noqa: PLC0415

        application: Application = ctx.obj
        if output_format not in {"yaml", "json"}:
            raise Abort(f"--format: expected yaml or json, got {output_format!r}")
        if (cluster is None) == (not (live or context or kubeconfig)):
            raise Abort("give the nodes with --cluster FILE or read them with --live")
        for given, what in ((cluster, "--cluster"), (config, "--config")):
            if given is not None and not given.is_file():
                raise Abort(f"{what}: {given}: no such file")
        settings = load_settings(config) if config is not None else Settings()
        if cluster is not None:
            nodes = load_inventory_nodes(cluster)
        else:
            live_cluster = asyncio.run(read_live(kubeconfig=kubeconfig, context=context))
            nodes = list(live_cluster.manifests.nodes)
        if not nodes:
            raise Abort("no nodes found; expected Node objects or a cluster inventory")
        result = longhorn_values(nodes, settings)
        if not result.storage_nodes:
            raise Abort("every node is excluded from storage; Longhorn would have no disk")
        if output_format == "json":
            application.terminal.json(
                {
                    "values": result.values,
                    "storageNodes": list(result.storage_nodes),
                    "excludedNodes": list(result.excluded_nodes),
                }
            )
            return
        key, value = result.selector
        header = (
            "# Longhorn Helm values from archfit: storage on "
            f"{', '.join(result.storage_nodes)}\n"
            f"# kept off {', '.join(result.excluded_nodes) or 'no node'}; Longhorn's pods select "
            f"{key}={value}\n"
        )
        if key != "kubernetes.io/arch":
            header += f"# label the storage nodes first: archfit label --apply (sets {key})\n"
        application.terminal.raw(
            header + yaml.safe_dump(result.values, sort_keys=False, default_flow_style=False)
        )
