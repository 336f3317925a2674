"""Which files a command reads besides its manifests: one discovery for every command.

    archfit.yaml (or .archfit.yaml)   the policy
    cluster.yaml                      the node inventory
    archfit.lock                      the image platforms

Each is looked for beside the target (the first path, or its directory when it is a file) and
then in each parent directory, up to and including the top of the repository (the first
directory holding `.git`) or the filesystem root; the nearest wins, so a file elsewhere on the
machine never applies by accident. A file given explicitly always wins and must exist. The
result says which files were used, so reports can name them.

Errors name the option the way the caller spells it: `--cluster` on the command line,
`cluster=` in the library API (`Spelling`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from archfit.errors import InputError

__all__ = [
    "API_SPELLING",
    "CLI_SPELLING",
    "CLUSTER_FILE",
    "CONFIG_NAMES",
    "LOCK_FILE",
    "Discovered",
    "Spelling",
    "discover",
    "find_upwards",
    "lockfile_target",
    "target_dir",
]

CONFIG_NAMES = ("archfit.yaml", ".archfit.yaml")  # tried in this order in each directory
CLUSTER_FILE = "cluster.yaml"
LOCK_FILE = "archfit.lock"


@dataclass(frozen=True, slots=True)
class Spelling:
    """How the caller names its options in error messages: `--add-node` on the command line,
    `add_node=` in the library API (`of("add_node")`)."""

    api: bool = False

    def of(self, name: str) -> str:
        return f"{name}=" if self.api else f"--{name.replace('_', '-')}"


CLI_SPELLING = Spelling()
API_SPELLING = Spelling(api=True)


@dataclass(frozen=True, slots=True)
class Discovered:
    """The files found or given (None: neither), and the directory the search started in."""

    target: Path
    config: Path | None = None
    cluster: Path | None = None
    lock: Path | None = None


def target_dir(paths: Sequence[Path | str]) -> Path:
    """The directory the search starts in: the first path, or its directory for a file."""
    if not paths:
        return Path()
    first = Path(paths[0])
    return first if first.is_dir() else first.parent


def find_upwards(start: Path | str, names: Sequence[str]) -> Path | None:
    """The nearest file named one of `names` in `start` or its parents, up to the repository
    top (the directory holding `.git`) or the filesystem root; None when there is none."""
    given = Path(start)
    here = given.absolute()
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        for name in names:
            candidate = directory / name
            if candidate.is_file():
                return _display(candidate, given)
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


def _given(path: Path | str | None, what: str, option: str) -> Path | None:
    if path is None:
        return None
    given = Path(path)
    if not given.is_file():
        raise InputError(f"{what} not found (given with {option})", where=str(given))
    return given


def discover(
    paths: Sequence[Path | str],
    *,
    config: Path | str | None = None,
    cluster: Path | str | None = None,
    lock: Path | str | None = None,
    spelling: Spelling = CLI_SPELLING,
) -> Discovered:
    """The policy, inventory and lockfile for the manifests under `paths`.

    Explicit files win and must exist (`InputError` naming the option); the others are found
    upwards from the target directory. Raises nothing for files that are simply absent.
    """
    start = target_dir(paths)
    return Discovered(
        target=start,
        config=_given(config, "policy file", spelling.of("config"))
        or find_upwards(start, CONFIG_NAMES),
        cluster=_given(cluster, "cluster file", spelling.of("cluster"))
        or find_upwards(start, (CLUSTER_FILE,)),
        lock=_given(lock, "lockfile", spelling.of("lock")) or find_upwards(start, (LOCK_FILE,)),
    )


def lockfile_target(paths: Sequence[Path | str], lock: Path | str | None = None) -> Path:
    """Where `archfit lock` writes: `lock` when given (it may not exist yet), else the
    lockfile the other commands would read, else `archfit.lock` in the target directory."""
    if lock is not None:
        return Path(lock)
    start = target_dir(paths)
    return find_upwards(start, (LOCK_FILE,)) or start / LOCK_FILE
