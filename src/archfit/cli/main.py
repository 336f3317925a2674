"""The root command: builds one `Application` and hands it to the subcommands.

Each subcommand lives in `archfit.cli.commands.<name>` and exposes `register(app)`; heavy imports
happen inside the command functions so that `archfit --help` stays fast. Users never see a
traceback: archfit's own errors and click's usage errors become one line on stderr and an exit
code (0 ok, 1 findings, 2 bad input or usage, 3 network/registry/API failure).
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from typing import Protocol, cast

import typer

from archfit import __version__
from archfit.cli.application import EXIT_INPUT, EXIT_OPERATIONAL, Abort, Application
from archfit.errors import ArchfitError, InputError

__all__ = ["COMMAND_MODULES", "app", "main", "prog_name", "split_global_flags"]

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
    "archfit.cli.commands.completion",
)

app = typer.Typer(
    name="archfit",
    help=(
        "Place Kubernetes workloads on mixed-architecture clusters (x86_64 servers with GPUs "
        "beside Raspberry Pi arm64 workers): check what runs where, verify image platforms, "
        "write node affinity back into GitOps repositories, and simulate the scheduler.\n\n"
        "\b\nExamples:\n"
        "  archfit check examples/homelab          # what is wrong, and where each pod may run\n"
        "  archfit fix examples/homelab --dry-run  # the node affinity it would write\n"
        "  archfit simulate examples/homelab       # kube-scheduler, offline\n"
        "  archfit images inspect nginx:1.27       # the platforms an image ships\n"
        "  archfit check -h                        # each command's options and examples\n"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help and errors: one-line errors are printed by `main`, never rich boxes.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"archfit {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: int = typer.Option(
        0,
        "--verbose",
        "-v",
        count=True,
        help="More detail on stderr (-vv: more); also accepted after the subcommand.",
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Only errors on stderr; also accepted after the subcommand."
    ),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print archfit's version and exit.",
    ),
) -> None:
    # `main` has already counted -v/-q wherever they were given and set ctx.obj.
    application = ctx.obj if isinstance(ctx.obj, Application) else Application()
    application.verbose += verbose
    application.quiet = application.quiet or quiet
    application.terminal.quiet = application.quiet
    ctx.obj = application


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)

COMPLETE_VAR = "_ARCHFIT_COMPLETE"
_VERBOSE = {"-v": 1, "-vv": 2, "-vvv": 3, "--verbose": 1}
_QUIET = {"-q", "--quiet"}


def split_global_flags(argv: list[str]) -> tuple[list[str], int, bool]:
    """Take -v/-vv/--verbose and -q/--quiet out of `argv` wherever they stand (before `--`), so
    that `archfit check . -v` works as kubectl users expect; returns the rest, the verbosity and
    whether quiet was asked for."""
    rest: list[str] = []
    verbose = 0
    quiet = False
    for index, arg in enumerate(argv):
        if arg == "--":
            rest.extend(argv[index:])
            break
        if arg in _VERBOSE:
            verbose += _VERBOSE[arg]
        elif arg in _QUIET:
            quiet = True
        else:
            rest.append(arg)
    return rest, verbose, quiet


def prog_name(argv0: str) -> str:
    """`kubectl archfit` when run as the kubectl plugin (kubectl-archfit), else `archfit`."""
    return "kubectl archfit" if os.path.basename(argv0).startswith("kubectl-archfit") else "archfit"


# typer (0.26 on) carries its own copy of click, whose package is private; every exception it
# raises for the command line derives from the public `typer.TyperException`. A usage error is one
# with click's usage exit code that names the command it was raised for (`ctx`).
_USAGE_EXIT_CODE = 2


class _CommandContext(Protocol):
    """What archfit reads of the click context a usage error carries."""

    @property
    def command_path(self) -> str: ...

    def get_help(self) -> str: ...


def _usage_context(err: typer.TyperException) -> _CommandContext | None:
    ctx: object = getattr(err, "ctx", None)
    if getattr(err, "exit_code", None) != _USAGE_EXIT_CODE or ctx is None:
        return None
    return cast("_CommandContext", ctx)


def _usage_line(where: str, err: typer.TyperException) -> str:
    message = " ".join(err.format_message().split())
    return f"{where}: {message} (see '{where} -h')"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used by the console scripts)."""
    started = time.perf_counter()
    args, verbose, quiet = split_global_flags(list(sys.argv[1:] if argv is None else argv))
    application = Application(verbose=verbose, quiet=quiet)
    application.terminal.quiet = quiet
    if os.environ.get(COMPLETE_VAR):
        # A completion script is asking; typer answers once its shells are registered.
        from typer._completion_classes import completion_init  # noqa: PLC0415

        completion_init()
    try:
        code = app(
            args=args,
            prog_name=prog_name(sys.argv[0]),
            complete_var=COMPLETE_VAR,
            standalone_mode=False,
            obj=application,
        )
    except typer.TyperException as err:
        ctx = _usage_context(err)
        if ctx is not None and err.format_message() == ctx.get_help():
            # No arguments to a command that needs some (`no_args_is_help`): the help, as
            # `--help` prints it, on stdout, and the usage exit code.
            typer.echo(err.format_message())
        elif ctx is not None:
            application.terminal.error(_usage_line(ctx.command_path, err))
        elif getattr(err, "exit_code", None) == _USAGE_EXIT_CODE:
            application.terminal.error(_usage_line("archfit", err))
        else:
            application.terminal.error(" ".join(err.format_message().split()))
        return EXIT_INPUT
    except typer.Abort:
        application.terminal.error("interrupted")
        return 130
    except Abort as abort:
        if abort.message:
            application.terminal.error(abort.message)
        return abort.code
    except InputError as err:
        application.terminal.error(str(err))
        return EXIT_INPUT
    except ArchfitError as err:
        application.terminal.error(str(err))
        return EXIT_OPERATIONAL
    except KeyboardInterrupt:
        application.terminal.error("interrupted")
        return 130
    except Exception as err:  # the last line of defence: never a traceback
        application.terminal.error(
            f"internal error: {type(err).__name__}: {err} (please report this; rerun with "
            "ARCHFIT_DEBUG=1 for a traceback)"
        )
        if os.environ.get("ARCHFIT_DEBUG"):
            raise
        return 70
    finally:
        if application.verbose:
            application.terminal.info(f"archfit: done in {time.perf_counter() - started:.2f}s")
    return code if isinstance(code, int) else 0


def _entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
