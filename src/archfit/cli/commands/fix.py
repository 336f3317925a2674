"""`archfit fix PATH…`: write each workload's placement where its owner would write it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from archfit.cli.application import Abort, Application
from archfit.cli.commands import _registry as registry_opts
from archfit.cli.commands._common import (
    CONFIG,
    ENTRY,
    FORMAT,
    LOCK,
    OFFLINE,
    emit_report,
    output_format_of,
)

__all__ = ["register"]

HELP = """\
Write the policy's node placement into the manifests: the pod template of a raw manifest,
defaultPodOptions/controller pod affinity of app-template values, a chart's `affinity` value,
or a patch in the overlay for a Kustomize base outside PATH. Required node affinity is ANDed
into every existing term; preferred terms are added once; comments, key order, quoting and
document separators are kept. Running it twice changes nothing the second time.

\b
Inputs are found as for `archfit check` (archfit.yaml, cluster.yaml, archfit.lock); without
a lockfile, the images are resolved online first (--offline: never).
Overlays that need it are rendered with `kustomize build` or `kubectl kustomize` from PATH;
local charts with `helm template` (helm from PATH, or the binary named by ARCHFIT_HELM),
else with the Helm SDK when installed (pip install "archfit[helm]").

\b
Examples:
  archfit fix apps/ --dry-run             # show the diff, write nothing
  archfit fix apps/staging/pihole          # base outside PATH: patch written in the overlay
  archfit fix . --patches archfit/         # patches in <overlay>/archfit/
  archfit fix . --cluster cluster.yaml --lock archfit.lock

\b
Exit codes: 0 done (or nothing to do), 2 bad input, 3 could not write.
"""


def register(app: typer.Typer) -> None:
    @app.command(
        "fix",
        help=HELP,
        short_help="Write each workload's placement into its manifests, values or overlay patches.",
        no_args_is_help=True,
    )
    @registry_opts.registry_options
    def fix(  # noqa: PLR0917 - typer passes every option positionally
        ctx: typer.Context,
        paths: list[Path] = typer.Argument(  # noqa: B008 - typer declares options as defaults
            ..., help="Directories or manifest files to fix.", show_default=False
        ),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Print a unified diff of the changes and write nothing."
        ),
        patches: Path | None = typer.Option(  # noqa: B008
            None,
            "--patches",
            envvar="ARCHFIT_PATCHES",
            help="Directory for Kustomize patches, relative to each overlay (kustomize loads "
            "patches only from inside it); default: the overlay's own directory.",
        ),
        cluster: Path | None = typer.Option(  # noqa: B008
            None, "--cluster", envvar="ARCHFIT_CLUSTER", help="Cluster inventory (cluster.yaml)."
        ),
        lock: Path | None = LOCK,
        config: Path | None = CONFIG,
        entry: str | None = ENTRY,
        output_format: str = FORMAT,
        offline: bool = OFFLINE,
    ) -> None:
        output_format = output_format_of(output_format)
        try:
            from archfit.usecases.fix import run_fix  # noqa: PLC0415 - keeps --help fast
        except ImportError as err:  # pragma: no cover - the `fix` extra is missing
            raise Abort(f"archfit fix needs the `fix` extra (ruamel.yaml): {err}") from None
        from archfit.usecases.check import run_check  # noqa: PLC0415

        application: Application = ctx.obj
        reading = application.reading()
        check: Any = None
        if registry_opts.wants_online(
            ctx, paths, lock=lock, config=config, resolve=False, offline=offline
        ):
            # A first run: the placement needs the images' platforms, so ask the registries.
            resolved = registry_opts.resolve_check_kwargs(
                application,
                list(paths),
                lock=lock,
                config=config,
                manifests=None if entry is None else reading.load(list(paths), entry=entry),
                resolver=registry_opts.resolver_config_from(ctx.params),
            )

            def resolved_check(targets: Any) -> Any:
                return run_check(
                    targets,
                    cluster=cluster,
                    lock=lock,
                    config=config,
                    reading=reading,
                    entry=entry,
                    **resolved,
                )

            check = resolved_check

        outcome = run_fix(
            paths,
            dry_run=dry_run,
            patches_dir=patches,
            cluster=cluster,
            lock=lock,
            config=config,
            check=check,
            entry=entry,
            reading=reading,
        )
        terminal = application.terminal
        if output_format != "text":
            emit_report(
                terminal,
                output_format,
                {
                    "dry_run": outcome.dry_run,
                    "files": sorted(outcome.files),
                    "changes": list(outcome.written),
                    "notes": list(outcome.notes),
                    "diff": outcome.diff,
                },
            )
            return
        if dry_run and outcome.files:
            terminal.raw(outcome.diff)
        for change in outcome.written:
            terminal.line(("would write " if dry_run else "wrote ") + change)
        for note in outcome.notes:
            terminal.warn(note)
        if not outcome.files and outcome.notes:
            terminal.line("nothing written: the notes above say what is left to do by hand")
        elif not outcome.files:
            terminal.line("nothing to change: every placement is already written")
