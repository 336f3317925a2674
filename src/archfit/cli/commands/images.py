"""`archfit images inspect REF… | --from PATH`: which platforms does each image ship?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from archfit.cli.application import EXIT_OPERATIONAL, Abort, Application
from archfit.cli.commands import _registry as opts

__all__ = ["register"]

FORMATS = ("text", "json")

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


def _stats_printer(application: Application) -> Any:
    """With -v, one line on stderr: the requests made and any announced rate limits."""
    if not application.verbose:
        return None
    return lambda stats: application.terminal.info(stats.describe())


def _failure(resolution: Any) -> str:
    """One line per failed image; the error already names the image when it came from it."""
    error = str(resolution.error)
    return error if resolution.ref.name in error else f"{resolution.ref.familiar}: {error}"


def register(app: typer.Typer) -> None:
    images = typer.Typer(
        name="images",
        help="Inspect the platforms container images ship.",
        no_args_is_help=True,
    )
    app.add_typer(images, name="images")

    @images.command("inspect", help=INSPECT_HELP)
    def inspect(  # noqa: PLR0917 - typer passes every option positionally
        ctx: typer.Context,
        refs: list[str] = typer.Argument(  # noqa: B008 - typer declares options as defaults
            None, help="Image references, as written in pod specs.", show_default=False
        ),
        from_paths: list[Path] = typer.Option(  # noqa: B008
            None, "--from", help="Take every image used by the manifests under PATH (repeatable)."
        ),
        output_format: str = typer.Option(
            "text", "--format", envvar="ARCHFIT_FORMAT", help="text or json."
        ),
        refresh: bool = typer.Option(
            False, "--refresh", help="Ask the registry for every tag, even when cached."
        ),
        cache_dir: Path | None = opts.CACHE_DIR,
        no_cache: bool = opts.NO_CACHE,
        docker_config: Path | None = opts.DOCKER_CONFIG,
        pull_secret: list[Path] = opts.PULL_SECRET,
        registries_yaml: Path | None = opts.REGISTRIES_YAML,
        hosts_dir: Path | None = opts.HOSTS_DIR,
        insecure_registry: list[str] = opts.INSECURE,
        ca_file: Path | None = opts.CA_FILE,
    ) -> None:
        import asyncio  # noqa: PLC0415

        from archfit.model.image import ImageRef  # noqa: PLC0415
        from archfit.usecases.images import (  # noqa: PLC0415
            images_from_paths,
            inspect_images,
            resolution_json,
        )

        application: Application = ctx.obj
        if output_format not in FORMATS:
            raise Abort(f"--format: expected one of {', '.join(FORMATS)}, got {output_format!r}")
        if not refs and not from_paths:
            raise Abort("give image references or --from PATH (see --help)")
        wanted = [ImageRef.parse(text) for text in refs or []]
        if from_paths:
            found = images_from_paths(list(from_paths))
            for finding in found.findings:
                application.terminal.warn(finding.message)
            wanted.extend(found.refs)
        wanted = list(dict.fromkeys(wanted))
        config = opts.resolver_config(
            cache_dir=cache_dir,
            no_cache=no_cache,
            docker_config=docker_config,
            pull_secrets=pull_secret,
            registries_yaml=registries_yaml,
            hosts_dir=hosts_dir,
            insecure=insecure_registry,
            ca_file=ca_file,
        )
        with application.terminal.progress() as progress:
            results = asyncio.run(
                inspect_images(
                    wanted,
                    config,
                    progress=progress,
                    refresh=refresh,
                    on_stats=_stats_printer(application),
                )
            )
        if output_format == "json":
            application.terminal.json([resolution_json(r) for r in results])
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
            application.terminal.error(_failure(resolution))
        if failed:
            application.terminal.error(f"{len(failed)} of {len(results)} images did not resolve")
            raise typer.Exit(EXIT_OPERATIONAL)
