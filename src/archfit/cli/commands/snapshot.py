"""`archfit snapshot`: write the live cluster to one file the offline commands read."""

from __future__ import annotations

from pathlib import Path

import typer

from archfit.cli.application import Abort, Application
from archfit.cli.commands._kube import CONTEXT, KUBECONFIG, NAMESPACE, kube_progress

__all__ = ["register"]

HELP = """Write the cluster's nodes, workloads and bound pods to ONE file.

The file is a `kind: List` YAML that `archfit check FILE` and `archfit simulate FILE` read
offline, so you can analyse a cluster you cannot reach from CI, or share it. It holds Nodes,
Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods bound to a node,
PVCs, PVs, StorageClasses, PodDisruptionBudgets and PriorityClasses. Secrets are never read;
env values, managedFields and last-applied annotations are removed.

\b
Examples:
  archfit snapshot -o homelab.yaml
  archfit snapshot --context prod -o prod.yaml && archfit check prod.yaml
  archfit snapshot -n web > web.yaml

Needs list permission on those resources (a 403 names the exact RBAC rule to add).
"""


def register(app: typer.Typer) -> None:
    @app.command("snapshot", help=HELP)
    def snapshot(  # noqa: PLR0917 - typer passes every option positionally
        ctx: typer.Context,
        output: Path | None = typer.Option(  # noqa: B008 - typer declares options as defaults
            None,
            "--output",
            "-o",
            help="File to write (atomically). Default: stdout.",
            dir_okay=False,
            show_default=False,
        ),
        kubeconfig: Path | None = KUBECONFIG,
        context: str | None = CONTEXT,
        namespace: str | None = NAMESPACE,
        output_format: str = typer.Option(
            "text", "--format", help="Summary format on stdout when -o is given: text or json."
        ),
    ) -> None:
        # Imported here so that `archfit --help` does not load lightkube.
        import asyncio  # noqa: PLC0415
        import shutil  # noqa: PLC0415
        import sys  # noqa: PLC0415
        import tempfile  # noqa: PLC0415

        from archfit.usecases.snapshot import take_snapshot  # noqa: PLC0415

        app_: Application = ctx.obj
        if output_format not in {"text", "json"}:
            raise Abort(f"--format must be text or json, not {output_format!r}")
        if output is not None and not output.parent.is_dir():
            raise Abort(f"{output}: directory {output.parent} does not exist")
        progress = kube_progress(app_.terminal, app_.verbose)
        # To stdout, the List is held (in memory, then a temporary file past 64 MB) and written
        # only once complete: a server failing mid-way must not leave a valid-looking, truncated
        # List in a pipe. Files are written atomically by take_snapshot itself.
        with tempfile.SpooledTemporaryFile(mode="w+", max_size=64 << 20) as held:
            stats = asyncio.run(
                take_snapshot(
                    output if output is not None else held,
                    kubeconfig=kubeconfig,
                    context=context,
                    namespace=namespace,
                    progress=progress,
                )
            )
            if output is None:
                held.seek(0)
                shutil.copyfileobj(held, sys.stdout)
                sys.stdout.flush()
        for note in stats.notes:
            app_.terminal.warn(note)
        if output is None:
            return
        if output_format == "json":
            app_.terminal.json(
                {
                    "file": str(output),
                    "server": stats.server,
                    "context": stats.context,
                    "counts": stats.counts,
                    "total": stats.total,
                }
            )
            return
        summary = ", ".join(f"{n} {k}" for k, n in stats.counts.items() if n)
        app_.terminal.line(f"wrote {output}: {stats.total} objects ({summary})")
