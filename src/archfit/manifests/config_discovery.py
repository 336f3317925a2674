"""Finding `archfit.yaml`: in the target directory or the nearest parent that has one.

The search stops at the filesystem root or after the first directory that contains `.git`
(the top of the repository), so a policy file elsewhere on the machine never applies by
accident. The content of the file belongs to `archfit.policy`; this is only where it is.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CONFIG_NAMES", "find_config"]

# Tried in this order in each directory.
CONFIG_NAMES = ("archfit.yaml", ".archfit.yaml")


def find_config(start: Path | str) -> Path | None:
    """The policy file for `start` (a directory, or a file whose directory is used), or None."""
    here = Path(start).absolute()
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return _display(candidate, Path(start))
        if (directory / ".git").exists():
            return None
    return None


def _display(found: Path, start: Path) -> Path:
    """Keep paths relative when the user gave a relative start, so messages stay short."""
    if start.is_absolute():
        return found
    try:
        return found.relative_to(Path.cwd())
    except ValueError:
        return found
