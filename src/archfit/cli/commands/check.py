"""`archfit check PATH…`: where may each workload run, and what is wrong?

Options are gathered into one `CheckOptions` value by `check_options`; the usecase receives
them as keyword arguments. To add an option, add a parameter to the command, a field to
`CheckOptions` and its keyword in `CheckOptions.usecase_kwargs`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from archfit.cli.application import EXIT_FINDINGS, EXIT_OK, Application
from archfit.cli.commands import _registry as registry_opts
from archfit.cli.commands._common import (
    CLUSTER,
    CONFIG,
    ENTRY,
    FORMATS,
    LOCK,
    OFFLINE,
    RESOLVE,
    emit_report,
    format_option,
    output_format_of,
    require_choice,
)
from archfit.cli.commands._kube import CONTEXT, KUBECONFIG, NAMESPACE, live_check_kwargs

__all__ = [
    "CHECK_FORMATS",
    "FAIL_ON",
    "FORMATS",
    "CheckOptions",
    "check_options",
    "exit_code",
    "register",
]

FAIL_ON = ("info", "warning", "error", "never")
# SARIF is for code scanning (docs/ci.md); the other commands print text or json.
CHECK_FORMATS = (*FORMATS, "sarif")
FORMAT: Any = format_option("text, json, yaml (the same report as json) or sarif (docs/ci.md).")

HELP = """\
Check manifests against the cluster: for every workload, the architectures its images ship,
the nodes that may run it, and what is wrong (exit 1 when findings reach --fail-on).

\b
Inputs (found beside archfit.yaml, or in the first PATH's directory, unless given):
  archfit.yaml   the policy (found in PATH or its parents; --config)
  cluster.yaml   the nodes (--cluster; or Node objects in the input, e.g. a snapshot)
  archfit.lock   image platforms (--lock); authoritative where present: images missing
                 from it are unresolved unless --resolve. Without one, the images are
                 resolved online (through the cache), unless --offline

\b
Examples:
  archfit check examples/homelab
  archfit check apps/ --cluster cluster.yaml --lock archfit.lock
  archfit check . --format json | jq '.workloads[] | {name, eligible_nodes}'
  archfit check . --fail-on warning      # CI: fail on warnings too
  archfit check . --format sarif > archfit.sarif   # code scanning (docs/ci.md)
  archfit check . --resolve              # ask registries for images not in archfit.lock
  archfit check . --entry clusters/prod  # one cluster of a multi-cluster repository
  archfit check --live --context prod    # the running cluster, plus live findings
  archfit check --live -n media          # only the workloads of one namespace
  archfit check apps/ --live             # manifests against the live nodes

\b
Environment: ARCHFIT_OFFLINE=1 is --offline; ARCHFIT_JOBS=1 reads the files in one
process (default: large trees are decoded by one process per CPU, up to 8).

\b
Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 bad input or usage (also
paths holding no Kubernetes object, unless --allow-empty), 3 a registry or the API failed.
"""


@dataclass(frozen=True, slots=True)
class CheckOptions:
    paths: tuple[Path, ...]
    cluster: Path | None = None
    lock: Path | None = None
    config: Path | None = None
    format: str = "text"
    fail_on: str = "error"
    extra: dict[str, Any] = field(default_factory=dict)

    def usecase_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `archfit.usecases.check.run_check`."""
        return {
            "cluster": self.cluster,
            "lock": self.lock,
            "config": self.config,
            **self.extra,
        }


def check_options(
    paths: list[Path],
    *,
    cluster: Path | None,
    lock: Path | None,
    config: Path | None,
    output_format: str,
    fail_on: str,
) -> CheckOptions:
    """Validate the command line into `CheckOptions`; bad values abort with exit code 2."""
    output_format = output_format_of(output_format, CHECK_FORMATS)
    require_choice("--fail-on", fail_on, FAIL_ON)
    return CheckOptions(
        paths=tuple(paths),
        cluster=cluster,
        lock=lock,
        config=config,
        format=output_format,
        fail_on=fail_on,
    )


def exit_code(worst: int, fail_on: str) -> int:
    """0 unless the worst finding's rank (0 info … 2 error; -1 none) reaches `fail_on`."""
    if fail_on == "never":
        return EXIT_OK
    return EXIT_FINDINGS if worst >= FAIL_ON.index(fail_on) else EXIT_OK


def run(application: Application, options: CheckOptions) -> int:
    # Imported here so that `archfit --help` does not load the policy and the readers.
    from archfit.report.check_json import check_report_json  # noqa: PLC0415
    from archfit.report.check_text import check_report_text  # noqa: PLC0415
    from archfit.usecases.check import run_check  # noqa: PLC0415

    started = time.perf_counter()
    report = run_check(options.paths, reading=application.reading(), **options.usecase_kwargs())
    if application.verbose:
        inputs = report.inputs
        where = ", ".join(inputs.paths) or "the cluster"
        read = application.read_summary()
        application.terminal.info(
            f"read {len(report.workloads)} workloads from {where}"
            + (f" ({read})" if read else "")
            + f", {len(report.nodes)} nodes from {inputs.cluster or 'the input'}, images from "
            f"{inputs.lockfile or 'no lockfile'}, policy {inputs.config or 'built-in'}; "
            f"checked in {time.perf_counter() - started:.2f}s"
        )
    if options.format == "sarif":
        from archfit import __version__  # noqa: PLC0415
        from archfit.report.check_sarif import check_report_sarif  # noqa: PLC0415

        application.terminal.json(check_report_sarif(report, tool_version=__version__))
    elif options.format != "text":
        emit_report(application.terminal, options.format, check_report_json(report))
    else:
        terminal = application.terminal
        width = terminal.width if terminal.out.is_terminal else None
        text = check_report_text(report, fail_on=options.fail_on, width=width, cwd=os.getcwd())
        terminal.raw(text)
    return exit_code(report.worst(), options.fail_on)


def register(app: typer.Typer) -> None:
    @app.command("check", help=HELP, no_args_is_help=True)
    @registry_opts.registry_options
    def check(  # noqa: PLR0917 - typer passes every option positionally
        ctx: typer.Context,
        paths: list[Path] | None = typer.Argument(  # noqa: B008 - typer declares options as defaults
            None,
            help="Directories or manifest files to check (optional with --live).",
            show_default=False,
        ),
        cluster: Path | None = CLUSTER,
        lock: Path | None = LOCK,
        config: Path | None = CONFIG,
        entry: str | None = ENTRY,
        output_format: str = FORMAT,
        fail_on: str = typer.Option(
            "error",
            "--fail-on",
            envvar="ARCHFIT_FAIL_ON",
            help="Exit 1 when a finding is at least this severe: info, warning, error, never.",
        ),
        live: bool = typer.Option(
            False,
            "--live",
            help="Check the running cluster: its nodes, and its workloads unless PATHs are "
            "given; adds live findings (exec-format-error, pods on the wrong arch, …).",
        ),
        context: str | None = CONTEXT,
        kubeconfig: Path | None = KUBECONFIG,
        namespace: str | None = NAMESPACE,
        resolve: bool = RESOLVE,
        offline: bool = OFFLINE,
        allow_empty: bool = typer.Option(
            False, "--allow-empty", help="Exit 0 on paths that hold no Kubernetes object."
        ),
    ) -> None:
        options = check_options(
            paths or [],
            cluster=cluster,
            lock=lock,
            config=config,
            output_format=output_format,
            fail_on=fail_on,
        )
        application: Application = ctx.obj
        if entry is not None:
            options.extra["entry"] = entry
        if live or context is not None or kubeconfig is not None or namespace is not None:
            options.extra.update(
                live_check_kwargs(
                    application,
                    paths or [],
                    kubeconfig=kubeconfig,
                    context=context,
                    namespace=namespace,
                )
            )
        options.extra["allow_empty"] = allow_empty
        online = registry_opts.wants_online(
            ctx, paths or [], lock=lock, config=config, resolve=resolve, offline=offline
        )
        if online:
            if entry is not None and options.extra.get("manifests") is None:
                options.extra["manifests"] = application.reading().load(paths or [], entry=entry)
            resolver = registry_opts.resolver_config_from(ctx.params)
            options.extra.update(
                registry_opts.resolve_check_kwargs(
                    application,
                    paths or [],
                    lock=lock,
                    config=config,
                    manifests=options.extra.get("manifests"),
                    resolver=resolver,
                    more_findings=options.extra.get("more_findings"),
                )
            )
        code = run(application, options)
        if code:
            raise typer.Exit(code)
