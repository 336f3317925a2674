"""archfit command lines as documents show them, and what in them does not exist.

`shown_commands(path)` reads every `archfit …` line of a Markdown file: each line of a shell
block, a `$ ` line of an output block, a CI workflow's `run:`/`entry:`, an inline code span.
`problems(shown)` walks the click tree typer builds for archfit's app (in this process: no
process per line) and names each subcommand and option that does not exist.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import typer

from archfit.cli.main import app

__all__ = ["Shown", "command_words", "problems", "shown_commands"]

# Accepted before or after any subcommand (archfit.cli.main.split_global_flags).
GLOBAL_FLAGS = frozenset({"-v", "-vv", "-vvv", "--verbose", "-q", "--quiet", "-h", "--help"})
SHELL_LANGUAGES = frozenset({"sh", "bash", "shell", "console"})
# Where a shell command starts: a line, a pipe, a list, a command substitution. A pipe has
# spaces around it; `text|json` is a synopsis' list of choices.
_SEPARATORS = re.compile(r"\|\||&&|\s\|\s|;|\$\(|<\(|`")
_COMMENT = re.compile(r"(?:^|\s)#.*$")
# `[--offline | --resolve]`: alternatives in a synopsis, not a pipe.
_ALTERNATIVE = re.compile(r"\s\|\s(?=[^\[]*\])")
_PROGRAM = re.compile(r"^(?:[A-Z_]+=\S*\s+)*(?:\S*/)?(?:kubectl[ -])?archfit(?:\s+|$)(?P<rest>.*)$")
_INLINE = re.compile(r"(?<!`)`((?:kubectl )?archfit [^`]+)`(?!`)")
_YAML_RUN = re.compile(r"^\s*(?:-\s+)?(?:run|entry):\s*(?P<cmd>.+)$")


@dataclass(frozen=True)
class Shown:
    """One archfit command line as a document shows it."""

    where: str
    words: tuple[str, ...]


def command_words(line: str) -> list[tuple[str, ...]]:
    """The words after `archfit` of each archfit command on one shell line."""
    return [_words(rest) for rest in _commands_in(line)]


def _commands_in(line: str) -> list[str]:
    found = []
    for part in _SEPARATORS.split(_ALTERNATIVE.sub(" ", _COMMENT.sub("", line))):
        match = _PROGRAM.match(part.strip())
        if match:
            found.append(match.group("rest"))
    return found


def _words(rest: str) -> tuple[str, ...]:
    try:
        words = shlex.split(rest, comments=True)
    except ValueError:  # an unbalanced quote in prose: read it word by word
        words = rest.split()
    out: list[str] = []
    for raw in words:
        if raw in {">", ">>", "2>&1", "<", ")"} or raw.startswith((">", "2>")):
            break
        # Synopsis notation: `[--cluster FILE]`, `[--live [-n NAMESPACE]]`, `PATH…`.
        word = raw.strip("[]()")
        if word:
            out.append(word)
    return tuple(out)


def _lines(path: Path) -> list[tuple[int, str]]:
    """The lines of `path` with their numbers; a shell line continued (`\\`, or a synopsis'
    indented `[--option …]` line) is joined to the line it continues."""
    lines: list[tuple[int, str]] = []
    continued = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        synopsis = bool(lines) and re.match(r"^\s+\[-", line) is not None
        if (continued or synopsis) and lines:
            lines[-1] = (lines[-1][0], lines[-1][1] + " " + line.strip().removesuffix("\\"))
        else:
            lines.append((number, line.removesuffix("\\")))
        continued = line.endswith("\\")
    return lines


def shown_commands(path: Path, root: Path | None = None) -> list[Shown]:
    """Every archfit command line `path` shows, with its file (relative to `root`) and line."""
    shown: list[Shown] = []
    language: str | None = None
    name = path.name if root is None else path.relative_to(root).as_posix()
    for number, line in _lines(path):
        where = f"{name}:{number}"
        fence = line.lstrip()
        if fence.startswith("```"):
            language = None if language is not None else (fence[3:].strip() or "text")
            continue
        candidates: list[str] = []
        if language is None:
            candidates = [m.group(1) for m in _INLINE.finditer(line)]
        elif language in SHELL_LANGUAGES:
            candidates = [line.strip().removeprefix("$ ")]
        elif line.startswith("$ "):
            candidates = [line[2:]]
        elif language == "yaml" and (run := _YAML_RUN.match(line)):
            candidates = [run.group("cmd")]
        for candidate in candidates:
            shown.extend(Shown(where, _words(rest)) for rest in _commands_in(candidate))
    return shown


def _options(command: object) -> dict[str, object]:
    """Option spellings of a click command (typer's click copy is private: read, not typed)."""
    options: dict[str, object] = {}
    for param in getattr(command, "params", ()):
        if param.param_type_name == "option":
            for name in (*param.opts, *param.secondary_opts):
                options[name] = param
    return options


def problems(shown: Shown) -> list[str]:
    """What in one shown command line does not exist (empty when all of it does)."""
    command: object = typer.main.get_command(app)
    path = ["archfit"]
    found: list[str] = []
    words = list(shown.words)
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word in GLOBAL_FLAGS or (word == "--version" and path == ["archfit"]):
            continue
        if word.startswith("-") and word not in {"-", "--"}:
            name, _, value = word.partition("=")
            param = _options(command).get(name)
            if param is None:
                found.append(f"{' '.join(path)} has no option {name}")
                continue
            # A value given apart is no subcommand (`archfit --context x check` stays `check`).
            takes_value = not getattr(param, "is_flag", False) and not getattr(
                param, "count", False
            )
            if takes_value and not value and index < len(words):
                index += 1
            continue
        subcommands = getattr(command, "commands", None)
        if subcommands is not None:
            if word not in subcommands:
                found.append(f"{' '.join(path)} has no subcommand {word!r}")
                break
            command = subcommands[word]
            path.append(word)
    return found
