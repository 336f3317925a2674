"""The root of archfit's exception tree.

    ArchfitError                  anything archfit raises on purpose
    ├── InputError                the user's input is wrong (file, line, field); CLI exit code 2
    │   └── InvalidValue          a value does not parse (a quantity, platform, image reference)
    └── (each adapter package hangs its own subtree here: registry, kube, manifests)

Verdicts (a workload does not fit, an image lacks arm64) are values, never exceptions.
Messages are one line, name what was wrong and what was expected, and never contain secrets.
"""

from __future__ import annotations


class ArchfitError(Exception):
    """Base class of every exception archfit raises on purpose."""


class InputError(ArchfitError):
    """The user's input is wrong. `where` names the file, line or field when known."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)

    def at(self, where: str) -> InputError:
        """Return a copy of this error located at `where` (prefixing any inner location)."""
        inner = f"{where}: {self.where}" if self.where else where
        return type(self)(self.message, where=inner)


class InvalidValue(InputError, ValueError):  # noqa: N818 - reads as what the value is
    """A scalar value (quantity, platform, image reference, label) does not parse."""
