"""`archfit completion bash|zsh|fish`: the shell completion script, as kubectl and helm print it."""

from __future__ import annotations

import typer

from archfit.cli.application import Abort

__all__ = ["SHELLS", "register"]

SHELLS = ("bash", "zsh", "fish")

HELP = """\
Print the shell completion script for bash, zsh or fish.

\b
Examples:
  source <(archfit completion bash)
  archfit completion zsh > "${fpath[1]}/_archfit"
  archfit completion fish > ~/.config/fish/completions/archfit.fish
"""


def register(app: typer.Typer) -> None:
    @app.command("completion", help=HELP, no_args_is_help=True)
    def completion(
        shell: str = typer.Argument(..., help="bash, zsh or fish.", show_default=False),
    ) -> None:
        from typer._completion_shared import get_completion_script  # noqa: PLC0415

        name = shell.lower()
        if name not in SHELLS:
            raise Abort(f"completion: expected one of {', '.join(SHELLS)}, got {shell!r}")
        # The variable the generated script sets when it asks archfit for completions; typer
        # answers it before parsing the command line.
        typer.echo(
            get_completion_script(prog_name="archfit", complete_var="_ARCHFIT_COMPLETE", shell=name)
        )
