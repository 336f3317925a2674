"""`archfit report PATH…`: one self-contained HTML page — where everything runs, and what
breaks if a node dies."""

from __future__ import annotations

from pathlib import Path

import typer

from archfit.cli.application import EXIT_FINDINGS, EXIT_OK, Application
from archfit.cli.commands._common import CLUSTER, CONFIG, LOCK
from archfit.cli.commands._kube import CONTEXT, KUBECONFIG, live_check_kwargs

__all__ = ["register"]

HELP = """\
Write one HTML page (no network access when opened; tables readable without JavaScript):
the cluster map with the simulated utilisation of every node, the compatibility matrix
(workloads × architectures, filterable by namespace and finding), the findings with their
fixes, capacity per architecture, the N−1 sweep, and the unused Pi capacity with what
`simulate --suggest` would move there.

\b
Examples:
  archfit report examples/homelab -o report.html
  archfit report apps/ --cluster cluster.yaml --lock archfit.lock -o report.html
  archfit report apps/ --live -o report.html   # the manifests against the live nodes
  archfit report . --fail-each                 # CI: exit 1 if one node's loss leaves pods short

\b
The N−1 sweep runs on clusters of up to 50 nodes, or always with --fail-each.

\b
Exit codes: 0 written, 1 with --fail-each: a node's loss leaves a workload short, 2 bad input.
"""


def register(app: typer.Typer) -> None:
    @app.command("report", help=HELP, no_args_is_help=True)
    def report(  # noqa: PLR0917 - typer passes every option positionally
        ctx: typer.Context,
        paths: list[Path] | None = typer.Argument(  # noqa: B008 - typer declares options as defaults
            None, help="Directories or manifest files (optional with --live).", show_default=False
        ),
        output: Path = typer.Option(  # noqa: B008
            Path("report.html"), "--output", "-o", help="Where to write the page (atomically)."
        ),
        cluster: Path | None = CLUSTER,
        lock: Path | None = LOCK,
        config: Path | None = CONFIG,
        live: bool = typer.Option(
            False, "--live", help="Use the running cluster's nodes (and workloads, without PATHs)."
        ),
        context: str | None = CONTEXT,
        kubeconfig: Path | None = KUBECONFIG,
        fail_each: bool = typer.Option(
            False,
            "--fail-each",
            help="Run the N−1 sweep on any cluster size; exit 1 when a node's loss leaves a "
            "workload short.",
        ),
    ) -> None:
        from archfit.report.html_report import report_html  # noqa: PLC0415
        from archfit.sources.atomic import write_atomic  # noqa: PLC0415 - heavy imports stay lazy
        from archfit.usecases.report import run_report  # noqa: PLC0415

        application: Application = ctx.obj
        kwargs = {}
        if live or context is not None or kubeconfig is not None:
            kwargs = live_check_kwargs(
                application, paths or [], kubeconfig=kubeconfig, context=context
            )
        inputs = run_report(
            paths or [], cluster=cluster, lock=lock, config=config, sweep=fail_each, **kwargs
        )
        text = report_html(inputs.check, inputs.simulation, swept=inputs.swept)
        write_atomic(output, text)
        application.terminal.info(f"wrote {output} ({len(text.encode()) / 1024:.0f} KiB)")
        failed = (
            fail_each
            and inputs.simulation is not None
            and any(not w.ok for w in inputs.simulation.sweep)
        )
        code = EXIT_FINDINGS if failed else EXIT_OK
        if code:
            raise typer.Exit(code)
