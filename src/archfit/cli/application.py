"""The object every command receives: the terminal and global settings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archfit.cli.terminal import Terminal

if TYPE_CHECKING:
    from archfit.sources import ReadSettings

__all__ = ["EXIT_FINDINGS", "EXIT_INPUT", "EXIT_OK", "EXIT_OPERATIONAL", "Abort", "Application"]

EXIT_OK = 0
EXIT_FINDINGS = 1  # the check found something at or above --fail-on, or a what-if failed
EXIT_INPUT = 2  # bad input or usage
EXIT_OPERATIONAL = 3  # the network, a registry or the API server failed


class Abort(Exception):  # noqa: N818 - it is an instruction, not an error condition
    """Stop the command: print `message` (if any) as one line and exit with `code`."""

    def __init__(self, message: str = "", code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Application:
    terminal: Terminal = field(default_factory=Terminal)
    verbose: int = 0
    quiet: bool = False

    def reading(self) -> ReadSettings:
        """How commands read manifests, from the environment (`ARCHFIT_JOBS`, `ARCHFIT_HELM`):
        the CLI is the entry point, so it alone looks at the process's environment."""
        # Imported here: `archfit --help` should not load the readers.
        from archfit.sources import ReadSettings  # noqa: PLC0415

        return ReadSettings.from_environment(os.environ)
