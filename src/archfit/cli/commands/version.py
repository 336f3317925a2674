"""`archfit version`."""

from __future__ import annotations

import typer

from archfit import __version__

__all__ = ["register"]

HELP = """\
Print archfit's version.

\b
Examples:
  archfit version
  archfit --version
"""


def register(app: typer.Typer) -> None:
    @app.command("version", help=HELP)
    def version() -> None:
        typer.echo(f"archfit {__version__}")
