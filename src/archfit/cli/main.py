"""The root command: builds one `Application` and hands it to the subcommands.

Each subcommand lives in `archfit.cli.commands.<name>` and exposes `register(app)`; heavy imports
happen inside the command functions so that `archfit --help` stays fast. Users never see a
traceback: archfit's own errors become one line on stderr and an exit code (0 ok, 1 findings,
2 bad input or usage, 3 network/registry/API failure).
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from archfit.cli.application import EXIT_INPUT, EXIT_OPERATIONAL, Abort, Application
from archfit.errors import ArchfitError, InputError

__all__ = ["COMMAND_MODULES", "app", "main"]

# One line per subcommand module, in the order `--help` lists them.
COMMAND_MODULES = (
    "archfit.cli.commands.check",
    "archfit.cli.commands.fix",
    "archfit.cli.commands.images",
    "archfit.cli.commands.lock",
    "archfit.cli.commands.snapshot",
    "archfit.cli.commands.label",
    "archfit.cli.commands.longhorn_settings",
    "archfit.cli.commands.simulate",
    "archfit.cli.commands.report",
    "archfit.cli.commands.exporter",
    "archfit.cli.commands.webhook",
    "archfit.cli.commands.version",
)

app = typer.Typer(
    name="archfit",
    help=(
        "Place Kubernetes workloads on mixed-architecture clusters (x86_64 servers with GPUs "
        "beside Raspberry Pi arm64 workers): check what runs where, verify image platforms, "
        "write node affinity back into GitOps repositories, and simulate the scheduler."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More detail on stderr."),
) -> None:
    ctx.obj = Application(verbose=verbose)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used by the console scripts)."""
    try:
        # Standalone mode lets typer print usage errors itself (exit 2) and `--help` (exit 0).
        app(args=argv, prog_name="archfit", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_INPUT)
    except Abort as abort:
        if abort.message:
            Application().terminal.error(abort.message)
        return abort.code
    except InputError as err:
        Application().terminal.error(str(err))
        return EXIT_INPUT
    except ArchfitError as err:
        Application().terminal.error(str(err))
        return EXIT_OPERATIONAL
    except KeyboardInterrupt:
        Application().terminal.error("interrupted")
        return 130
    except Exception as err:  # the last line of defence: never a traceback
        Application().terminal.error(
            f"internal error: {type(err).__name__}: {err} (please report this; rerun with "
            "ARCHFIT_DEBUG=1 for a traceback)"
        )
        if os.environ.get("ARCHFIT_DEBUG"):
            raise
        return 70
    return 0


def _entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
