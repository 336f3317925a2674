"""`archfit lock PATH…`: write archfit.lock, the platforms of every image the manifests use."""

from __future__ import annotations

from pathlib import Path

import typer

from archfit.cli.application import EXIT_FINDINGS, EXIT_OPERATIONAL, Abort, Application
from archfit.cli.commands import _registry as opts
from archfit.cli.commands._common import ENTRY

__all__ = ["register"]

HELP = (
    """\
Write archfit.lock: the platforms of every image the manifests use.

Resolves every image the manifests under PATH use and writes the lockfile (atomically) that
`archfit check` reads offline. Entries already in the lockfile are kept; images no manifest
uses any more are dropped; --update asks the registries again for every tag.

\b
Examples:
  archfit lock examples/homelab                      # writes examples/homelab/archfit.lock
  archfit lock apps/ infra/ --lock archfit.lock
  archfit lock . --check                             # CI: exit 1 when the lockfile is behind
  archfit lock . --update                            # follow moved tags

\b
Exit codes: 0 up to date / written, 1 --check found the lockfile stale or incomplete,
2 bad input, 3 a registry failed (what did resolve is still written).

"""
    + opts.REGISTRY_ENV_HELP
)


def _reason(resolution: object) -> str:
    """What went wrong, without the image's name (so that one outage reads as one reason)."""
    error = getattr(resolution, "error", None)
    kind = "" if isinstance(error, str) else type(error).__name__
    text = str(error)
    ref = getattr(resolution, "ref", None)
    for name in (str(ref), getattr(ref, "familiar", "")):
        if name:
            text = text.replace(name, "").strip(" :")
    return f"{kind}: {text}" if kind and text else text or kind


def register(app: typer.Typer) -> None:
    @app.command("lock", help=HELP, no_args_is_help=True)
    @opts.registry_options
    def lock(  # noqa: PLR0917 - typer passes every option positionally
        ctx: typer.Context,
        paths: list[Path] = typer.Argument(  # noqa: B008 - typer declares options as defaults
            ..., help="Directories or manifest files.", show_default=False
        ),
        lock_file: Path | None = typer.Option(  # noqa: B008
            None,
            "--lock",
            envvar="ARCHFIT_LOCK",
            help="Lockfile to write (default: the nearest archfit.lock from the first PATH up, "
            "else one in its directory).",
            dir_okay=False,
        ),
        check: bool = typer.Option(
            False, "--check", help="Do not write; exit 1 when the lockfile is stale or incomplete."
        ),
        update: bool = typer.Option(
            False, "--update", help="Resolve every tag again (moved tags update their entry)."
        ),
        entry: str | None = ENTRY,
    ) -> None:
        from archfit.sources.discovery import lockfile_target  # noqa: PLC0415
        from archfit.usecases.lock import apply_lock, plan_lock  # noqa: PLC0415

        application: Application = ctx.obj
        terminal = application.terminal
        if not paths:
            raise Abort("give the directories or files whose images to lock")
        target = lockfile_target(paths, lock_file)
        if not target.parent.is_dir():
            raise Abort(f"{target}: the directory for the lockfile does not exist")
        plan = plan_lock(
            paths, target, update=update, entry_point=entry, reading=application.reading()
        )
        for finding in plan.findings:
            terminal.warn(finding.message)
        resolutions = None
        if plan.to_resolve and (update or not check):
            config = opts.resolver_config_from(ctx.params)
            resolutions = opts.inspect_with_progress(
                application, list(plan.to_resolve), config, refresh=update
            )
        elif not check:
            resolutions = []
        # When no image resolved (no registry answered), writing would only record the outage.
        nothing_resolved = bool(resolutions) and not any(r.ok for r in resolutions or [])
        outcome = apply_lock(plan, resolutions, write=not check and not nothing_resolved)
        if outcome.failed and application.verbose:
            for resolution in outcome.failed:
                terminal.error(opts.failure_line(resolution))
        if outcome.failed:
            # One line however many failed (a registry that is down fails them all alike).
            reasons = (
                [opts.failure_line(r) for r in outcome.failed]
                if len(outcome.failed) <= 3
                else sorted({_reason(r) for r in outcome.failed})
            )
            terminal.error(
                f"{len(outcome.failed)} of {len(plan.to_resolve)} images could not be resolved: "
                f"{'; '.join(reasons[:3])}{' …' if len(reasons) > 3 else ''}"
                + ("" if application.verbose else " (-v lists every image)")
            )
        summary = (
            f"{len(plan.wanted)} images: {len(outcome.added)} added, {len(outcome.changed)} "
            f"changed, {len(outcome.removed)} removed, {len(outcome.failed)} failed"
        )
        if check:
            for key in outcome.added:
                terminal.line(f"missing  {key}")
            for key in outcome.changed:
                terminal.line(f"stale    {key}")
            for key in outcome.removed:
                terminal.line(f"unused   {key}")
            if outcome.failed:
                raise typer.Exit(EXIT_OPERATIONAL)
            if not outcome.up_to_date:
                terminal.line(f"{target}: out of date ({summary})")
                raise typer.Exit(EXIT_FINDINGS)
            terminal.line(f"{target}: up to date ({len(plan.wanted)} images)")
            return
        if outcome.failed:
            if outcome.written:
                terminal.line(f"{target}: written without the failed images ({summary})")
            raise typer.Exit(EXIT_OPERATIONAL)
        state = "written" if outcome.written else "up to date"
        terminal.line(f"{target}: {state} ({summary})")
