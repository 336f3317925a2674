"""Options and checks several commands share word for word: `--format text|json`, `--lock`,
`--config`, and the one message for a value outside its choices."""

from __future__ import annotations

from typing import Any

import typer

from archfit.cli.application import Abort

__all__ = ["CONFIG", "ENTRY", "FORMAT", "FORMATS", "LOCK", "require_choice"]

FORMATS = ("text", "json")

FORMAT: Any = typer.Option("text", "--format", envvar="ARCHFIT_FORMAT", help="text or json.")
LOCK: Any = typer.Option(
    None, "--lock", envvar="ARCHFIT_LOCK", help="Image lockfile (archfit.lock)."
)
CONFIG: Any = typer.Option(
    None, "--config", envvar="ARCHFIT_CONFIG", help="Policy file (archfit.yaml)."
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
