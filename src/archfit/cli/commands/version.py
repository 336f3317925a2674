"""`archfit version`."""

from __future__ import annotations

import typer

from archfit import __version__

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("version", help="Print archfit's version.")
    def version() -> None:
        typer.echo(f"archfit {__version__}")
