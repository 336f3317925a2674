"""The Argo CD `git` generator over the repository at hand: `directories` and `files`.

Directories: Go `path.Match` globs (`*`, `?`, `[...]`, none crossing `/`), `exclude: true`
entries win over includes, directories starting with `.` skipped. Files: globs where `**`
crosses directories; each YAML/JSON file gives one parameter set (a list: one per mapping),
flattened with dots in fasttemplate mode. The glob is matched below the ApplicationSet's own
directory or one of its parents, or one of the input roots or their parents (the repository
root is not known); when no such base holds the path the remote repository is taken as not
fetched, and a note says so.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from archfit.manifests.documents import Document
from archfit.manifests.sources._common import file_text
from archfit.manifests.sources.appset_functions import normalized
from archfit.manifests.sources.interface import FileTree, SourceContext

__all__ = ["flatten", "git_generator", "glob_regex"]


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def glob_regex(pattern: str, *, doublestar: bool) -> re.Pattern[str]:
    """A regex for a Go `path.Match` pattern (`*`, `?`, `[...]`, none crossing `/`); with
    `doublestar`, a whole `**` segment also matches any number of directories."""
    out: list[str] = []
    i = 0
    pattern = pattern.strip().strip("/")
    while i < len(pattern):
        ch = pattern[i]
        if doublestar and pattern.startswith("**", i):
            end = i + 2
            if end < len(pattern) and pattern[end] == "/":
                out.append("(?:[^/]*/)*")
                end += 1
            else:
                out.append(".*")
            i = end
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            close = pattern.find("]", i + 1)
            if close == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : close]
                if body.startswith("^"):
                    body = "^" + body[1:].replace("\\", "\\\\")
                else:
                    body = body.replace("\\", "\\\\")
                out.append(f"(?!/)[{body}]")
                i = close
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


def _literal_prefix(pattern: str) -> str:
    parts = []
    for part in pattern.strip().strip("/").split("/"):
        if any(c in part for c in "*?[\\"):
            break
        parts.append(part)
    return "/".join(parts)


def _tree(tree: FileTree, base: str, start: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Directories and files below `base/start` (relative to `base`, `/`-separated), hidden
    entries skipped; the walk starts at the pattern's literal prefix, not at `base`."""
    dirs: list[str] = []
    files: list[str] = []
    top = os.path.join(base, start) if start else base
    if start and tree.is_dir(Path(top)):
        dirs.append(start)
    for current, subdirs, names in tree.walk(Path(top)):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        rel = os.path.relpath(current, base).replace(os.sep, "/")
        rel = "" if rel == "." else rel
        for d in subdirs:
            dirs.append(f"{rel}/{d}" if rel else d)
        for n in sorted(names):
            if not n.startswith("."):
                files.append(f"{rel}/{n}" if rel else n)
    return tuple(sorted(dirs)), tuple(sorted(files))


def _bases(tree: FileTree, doc: Document, roots: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for anchor in (Path(doc.source.file).parent, *roots):
        base = tree.resolve(anchor)
        if tree.is_file(base):
            base = base.parent
        for candidate in (base, *base.parents):
            if candidate not in out:
                out.append(candidate)
    return out


def _path_params(rel: str, *, filename: str | None, go: bool, prefix: str) -> dict[str, Any]:
    segments = rel.split("/") if rel else []
    basename = segments[-1] if segments else ""
    if go:
        entry: dict[str, Any] = {
            "path": rel,
            "basename": basename,
            "basenameNormalized": normalized(basename),
            "segments": segments,
        }
        if filename is not None:
            entry["filename"] = filename
            entry["filenameNormalized"] = normalized(filename)
        if prefix:
            return {prefix: {"path": entry}}
        return {"path": entry}
    key = f"{prefix}.path" if prefix else "path"
    flat: dict[str, Any] = {
        key: rel,
        f"{key}.path": rel,
        f"{key}.basename": basename,
        f"{key}.basenameNormalized": normalized(basename),
    }
    for i, seg in enumerate(segments):
        flat[f"{key}[{i}]"] = seg
    if filename is not None:
        flat[f"{key}.filename"] = filename
        flat[f"{key}.filenameNormalized"] = normalized(filename)
    return flat


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in value.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, f"{key}."))
        elif isinstance(v, list):
            out[key] = json.dumps(v)
        elif isinstance(v, bool):
            out[key] = "true" if v else "false"
        else:
            out[key] = "" if v is None else str(v)
    return out


def git_generator(
    spec: Mapping[str, Any], doc: Document, context: SourceContext, go: bool, label: str
) -> tuple[list[dict[str, Any]], list[str]]:
    prefix = str(spec.get("pathParamPrefix") or "")
    dirs_spec = [_map(d) for d in spec.get("directories") or [] if isinstance(d, Mapping)]
    files_spec = [_map(f) for f in spec.get("files") or [] if isinstance(f, Mapping)]
    # Where each pattern must start: its literal leading directories.
    starts = [
        _literal_prefix(str(d["path"])) for d in dirs_spec if d.get("path") and not d.get("exclude")
    ] + [_literal_prefix(str(f["path"]).rpartition("/")[0]) for f in files_spec if f.get("path")]
    tree = context.files
    bases = _bases(tree, doc, context.roots)
    if starts and not any(starts):
        # `*` is the repository's top level: the nearest directory holding `.git`, else the
        # directory given on the command line.
        given = [r if tree.is_dir(r) else r.parent for r in context.roots]
        bases = [b for b in bases if tree.exists(b / ".git")]
        bases += [Path(tree.real_path(str(r))) for r in given]
    base = next((b for b in bases if any(tree.is_dir(b / s) for s in starts)), None)
    repo = str(spec.get("repoURL") or "")
    if base is None:
        return [], [f"{label}: git generator {repo}: remote repository not fetched"]
    out: list[dict[str, Any]] = []
    if dirs_spec:
        include = [
            glob_regex(str(d["path"]), doublestar=False)
            for d in dirs_spec
            if d.get("path") and not d.get("exclude")
        ]
        exclude = [
            glob_regex(str(d["path"]), doublestar=False)
            for d in dirs_spec
            if d.get("path") and d.get("exclude")
        ]
        dirs = sorted(
            {
                rel
                for d in dirs_spec
                if d.get("path") and not d.get("exclude")
                for rel in _tree(tree, str(base), _literal_prefix(str(d["path"])))[0]
            }
        )
        for rel in dirs:
            if any(r.match(rel) for r in include) and not any(r.match(rel) for r in exclude):
                out.append(_path_params(rel, filename=None, go=go, prefix=prefix))
    for entry in files_spec:
        if not entry.get("path"):
            continue
        pattern = glob_regex(str(entry["path"]), doublestar=True)
        _, files = _tree(tree, str(base), _literal_prefix(str(entry["path"]).rpartition("/")[0]))
        for rel in files:
            if not pattern.match(rel):
                continue
            for data in _config_file(context.files, base / rel):
                directory, _, filename = rel.rpartition("/")
                params: dict[str, Any] = dict(data) if go else flatten(data)
                params.update(_path_params(directory, filename=filename, go=go, prefix=prefix))
                out.append(params)
    return out, []


def _config_file(files: FileTree, path: Path) -> Iterator[Mapping[str, Any]]:
    """The parameter sets of one git-files file: a mapping, or each mapping of a list."""
    text = file_text(files, str(path))
    if text is None:
        return
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        return
    if isinstance(data, Mapping):
        yield data
    elif isinstance(data, list):
        yield from (d for d in data if isinstance(d, Mapping))
