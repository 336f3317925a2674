"""Options and checks several commands share word for word: `-o/--format text|json|yaml`,
`--lock`, `--config`, `--cluster`, `--offline`, `--resolve`, and the one message for a value
outside its choices."""

from __future__ import annotations

from typing import Any

import typer

from archfit.cli.application import Abort

__all__ = [
    "CLUSTER",
    "CONFIG",
    "ENTRY",
    "FORMAT",
    "FORMATS",
    "LOCK",
    "OFFLINE",
    "RESOLVE",
    "emit_report",
    "format_option",
    "output_format_of",
    "require_choice",
]

FORMATS = ("text", "json", "yaml")


def format_option(help_text: str = "text, json or yaml (the same report as json).") -> Any:
    """`-o/--output` as kubectl spells it; `--format` as archfit always has. Case does not
    matter (`output_format_of`)."""
    return typer.Option(
        "text", "--format", "-o", "--output", envvar="ARCHFIT_FORMAT", help=help_text
    )


FORMAT: Any = format_option()
LOCK: Any = typer.Option(
    None, "--lock", envvar="ARCHFIT_LOCK", help="Image lockfile (archfit.lock)."
)
CONFIG: Any = typer.Option(
    None, "--config", envvar="ARCHFIT_CONFIG", help="Policy file (archfit.yaml)."
)
OFFLINE: Any = typer.Option(
    False,
    "--offline",
    envvar="ARCHFIT_OFFLINE",
    help="Never use the network: images the lockfile lacks stay unresolved.",
)
RESOLVE: Any = typer.Option(
    False,
    "--resolve",
    help="Resolve images missing from the lockfile online even when there is a "
    "lockfile (without one, they are resolved online unless --offline).",
)
CLUSTER: Any = typer.Option(
    None,
    "--cluster",
    envvar="ARCHFIT_CLUSTER",
    help="Cluster inventory: archfit's kind: Cluster file, or `kubectl get nodes -o yaml`.",
)
ENTRY: Any = typer.Option(
    None,
    "--entry",
    envvar="ARCHFIT_ENTRY",
    help="Read one entry point of the repository (a cluster or environment, e.g. "
    "clusters/prod: its name, directory or root file); default: every entry point found.",
)


def require_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    """Abort (exit 2) unless `value` is one of `choices`, naming the option and what it takes."""
    if value not in choices:
        raise Abort(f"{option}: expected one of {', '.join(choices)}, got {value!r}")


def output_format_of(value: str, choices: tuple[str, ...] = FORMATS) -> str:
    """The `-o/--format` value in lower case; aborts (exit 2) unless it is one of `choices`."""
    lowered = value.lower()
    require_choice("--format", lowered, choices)
    return lowered


def emit_report(terminal: Any, output_format: str, document: Any) -> None:
    """Print a report's JSON-shaped `document` as json or yaml (text has its own renderers)."""
    if output_format == "yaml":
        terminal.yaml(document)
    else:
        terminal.json(document)
