"""Options shared by the commands that talk to a cluster (`snapshot`, `check --live`, `label`,
`longhorn-settings --live`), and the progress reporting they share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

__all__ = ["CONTEXT", "KUBECONFIG", "NAMESPACE", "kube_progress", "live_check_kwargs"]

KUBECONFIG_HELP = (
    "kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config; inside a pod the "
    "service account is used when neither this nor --context is given)."
)

KUBECONFIG: Any = typer.Option(
    None, "--kubeconfig", help=KUBECONFIG_HELP, dir_okay=False, show_default=False
)
CONTEXT: Any = typer.Option(
    None,
    "--context",
    envvar="ARCHFIT_CONTEXT",
    help="kubeconfig context to use (default: the current context).",
    show_default=False,
)
NAMESPACE: Any = typer.Option(
    None,
    "--namespace",
    "-n",
    help="Read only this namespace (nodes and cluster-scoped objects are always read).",
    show_default=False,
)


def kube_progress(terminal: Any, verbose: int) -> Any:
    """A callback printing `read 14 nodes` lines on stderr when -v is given."""

    def report(plural: str, count: int) -> None:
        if verbose:
            terminal.info(f"read {count} {plural}")

    return report


def as_path(value: Path | None) -> Path | None:
    return Path(value) if value is not None else None


def live_check_kwargs(
    application: Any,
    paths: list[Path],
    *,
    kubeconfig: Path | None,
    context: str | None,
    namespace: str | None = None,
) -> dict[str, Any]:
    """Read the live cluster (asyncio.run: this is the CLI's edge) and return the keyword
    arguments that make `run_check` check it: the live nodes as the inventory, the live
    workloads unless `paths` are given, and the live findings computed with the same image
    platforms as the rest of the check."""
    import asyncio  # noqa: PLC0415

    from archfit.usecases.live import read_live  # noqa: PLC0415
    from archfit.usecases.live_findings import live_findings  # noqa: PLC0415

    cluster = asyncio.run(
        read_live(
            kubeconfig=kubeconfig,
            context=context,
            namespace=namespace,
            progress=kube_progress(application.terminal, application.verbose),
        )
    )
    for note in cluster.notes:
        application.terminal.warn(note)

    def more(images: Any) -> list[Any]:
        return live_findings(cluster.pods, cluster.events, cluster.manifests.nodes, images)

    kwargs: dict[str, Any] = {
        "nodes": cluster.manifests.nodes,
        "cluster_name": f"cluster:{cluster.context}",
        "more_findings": more,
    }
    if not paths:
        kwargs["manifests"] = cluster.manifests
    return kwargs
