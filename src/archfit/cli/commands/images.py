"""`archfit images inspect REF… | --from PATH`: which platforms does each image ship?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from archfit.cli.application import EXIT_OPERATIONAL, Abort, Application
from archfit.cli.commands import _registry as opts
from archfit.cli.commands._common import FORMAT, emit_report, output_format_of

__all__ = ["register"]


IMAGES_HELP = """\
Inspect the platforms container images ship.

\b
Examples:
  archfit images inspect nginx:1.27
  archfit images inspect --from examples/homelab
"""

INSPECT_HELP = (
    """\
Show the platforms, digest and kind of images, asking their registries.

Resolves images against their registries: kind (index or single manifest), digest, the
platforms they ship (attestations dropped, variants kept, Windows shown), per-platform digests.

\b
Examples:
  archfit images inspect nginx:1.27 ghcr.io/home-assistant/home-assistant:2025.1
  archfit images inspect --from examples/homelab          # every image in the manifests
  archfit images inspect redis:7 --format json | jq '.[].platforms'
  archfit images inspect 127.0.0.1:5000/app:dev --no-cache

\b
JSON: a list of objects with ref, digest, kind, platforms, platformDigests, error, errorType,
stale, cached, childOf and findings (docs/registry.md).
Exit codes: 0 every image resolved, 2 bad reference or input, 3 a registry failed.

"""
    + opts.REGISTRY_ENV_HELP
)


def _short(digest: str | None) -> str:
    if not digest:
        return "-"
    algorithm, _, hex_part = digest.partition(":")
    return f"{algorithm}:{hex_part[:12]}"


def _table(columns: list[str], rows: list[list[str]]) -> str:
    """Plain aligned columns, never wrapped: one image per line whatever the width, so the
    output greps and diffs well (the last column is not padded)."""
    widths = [max(len(row[i]) for row in [columns, *rows]) for i in range(len(columns) - 1)]
    lines = []
    for row in [columns, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def _image(ref: Any) -> str:
    """The reference as people write it, with a pinned digest shortened for the table."""
    text: str = ref.familiar
    if ref.digest:
        text = text.replace(ref.digest, _short(ref.digest))
    return text


def _note(resolution: Any) -> str:
    if resolution.error:
        return f"error: {resolution.error_type or 'failed'}"
    notes = []
    if resolution.stale:
        notes.append("stale (registry unreachable; cached answer)")
    if resolution.child_of:
        notes.append(f"child-digest-pinned (index {_short(resolution.child_of)})")
    if resolution.ok and not any(p.os == "linux" for p in resolution.platforms):
        notes.append("no linux platform")
    return "; ".join(notes)


def register(app: typer.Typer) -> None:
    images = typer.Typer(
        name="images",
        help=IMAGES_HELP,
        no_args_is_help=True,
    )
    app.add_typer(images, name="images")

    @images.command("inspect", help=INSPECT_HELP)
    @opts.registry_options
    def inspect(
        ctx: typer.Context,
        refs: list[str] = typer.Argument(  # noqa: B008 - typer declares options as defaults
            None, help="Image references, as written in pod specs.", show_default=False
        ),
        from_paths: list[Path] = typer.Option(  # noqa: B008
            None, "--from", help="Take every image used by the manifests under PATH (repeatable)."
        ),
        output_format: str = FORMAT,
        refresh: bool = typer.Option(
            False, "--refresh", help="Ask the registry for every tag, even when cached."
        ),
    ) -> None:
        from archfit.model.image import ImageRef  # noqa: PLC0415
        from archfit.usecases.images import (  # noqa: PLC0415
            images_from_paths,
            resolution_json,
        )

        application: Application = ctx.obj
        output_format = output_format_of(output_format)
        if not refs and not from_paths:
            raise Abort("give image references or --from PATH (see --help)")
        wanted = [ImageRef.parse(text) for text in refs or []]
        if from_paths:
            found = images_from_paths(list(from_paths), reading=application.reading())
            for finding in found.findings:
                application.terminal.warn(finding.message)
            wanted.extend(found.refs)
        wanted = list(dict.fromkeys(wanted))
        config = opts.resolver_config_from(ctx.params)
        results = opts.inspect_with_progress(application, wanted, config, refresh=refresh)
        if output_format != "text":
            emit_report(application.terminal, output_format, [resolution_json(r) for r in results])
        else:
            rows = [
                [
                    _image(r.ref),
                    r.kind or "-",
                    ", ".join(str(p) for p in r.platforms) or "-",
                    _short(r.digest),
                    _note(r),
                ]
                for r in results
            ]
            application.terminal.raw(_table(["IMAGE", "KIND", "PLATFORMS", "DIGEST", "NOTE"], rows))
        failed = [r for r in results if not r.ok]
        for resolution in failed:
            application.terminal.error(opts.failure_line(resolution))
        if failed:
            application.terminal.error(f"{len(failed)} of {len(results)} images did not resolve")
            raise typer.Exit(EXIT_OPERATIONAL)
