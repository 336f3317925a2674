"""Argo CD `ApplicationSet` (argoproj.io/v1alpha1): the Applications it generates.

Generators modelled: `list` (`elements`), and `git` with `directories` (Go `path.Match` globs,
`exclude: true` entries win over includes, directories starting with `.` skipped) and `files`
(globs where `**` crosses directories; each YAML/JSON file gives one parameter set, flattened
with dots in fasttemplate mode). Git generators read the repository at hand: the glob is
matched below the ApplicationSet's own directory or one of its parents, or one of the input
roots or their parents (the repository root is not known); when no such base holds the path
the remote repository is taken as not fetched and a note says so. `matrix` (two children,
the second rendered with each parameter set of the first) and `merge` (`mergeKeys`) combine
them; a generator's `selector.matchLabels` filters its parameter sets; other generators
(`clusters`, `scmProvider`, …) and `matchExpressions` produce a note.

Path parameters as Argo CD gives them: `path` (and `path.path`), `path.basename`,
`path.basenameNormalized`, `path[N]` (fasttemplate) or `.path.segments` (Go); files also give
`path.filename` and `path.filenameNormalized` (`path` is then the file's directory).
`pathParamPrefix` prefixes them.

Each generated Application is a `Document` whose `origin` names the ApplicationSet, with the
ApplicationSet's file and line; later sources (`argocd`, `argocd-directory`) read them like the
Applications written in files.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from archfit.manifests.documents import Document
from archfit.manifests.sources._common import file_text
from archfit.manifests.sources.appset_template import TemplateError, render_value
from archfit.manifests.sources.interface import FileTree, SourceContext, SourceOutput
from archfit.model.workload import SourceRef

__all__ = ["ArgoApplicationSetSource", "glob_regex", "normalized"]

GROUP = "argoproj.io"
_INVALID_DNS = re.compile(r"[^-a-z0-9.]")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def normalized(name: str) -> str:
    """Argo CD's `SanitizeName`: lower case, characters outside `[-a-z0-9.]` become `-`,
    at most 253 characters, `-` and `.` trimmed from both ends."""
    return _INVALID_DNS.sub("-", name.lower())[:253].strip("-.")


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


def _flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in value.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, f"{key}."))
        elif isinstance(v, list):
            out[key] = json.dumps(v)
        elif isinstance(v, bool):
            out[key] = "true" if v else "false"
        else:
            out[key] = "" if v is None else str(v)
    return out


@dataclass(frozen=True, slots=True)
class _Generated:
    params: list[dict[str, Any]]
    template: Mapping[str, Any]
    notes: list[str]


def _list_generator(spec: Mapping[str, Any], go: bool) -> list[dict[str, Any]]:
    out = []
    for element in spec.get("elements") or []:
        if isinstance(element, Mapping):
            out.append(dict(element) if go else _flatten(element))
    return out


def _git_generator(
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
                params: dict[str, Any] = dict(data) if go else _flatten(data)
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


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _merge(out[k], v)
        elif v not in (None, {}, "", []):
            out[k] = v
    return out


@dataclass(frozen=True, slots=True)
class ArgoApplicationSetSource:
    name: str = "argocd-applicationset"

    def expand(self, documents: Sequence[Document], context: SourceContext) -> SourceOutput:
        emitted: list[Document] = []
        notes: list[str] = []
        for doc in documents:
            if doc.kind != "ApplicationSet" or doc.group != GROUP:
                continue
            apps, problems = generate(doc, context)
            emitted.extend(apps)
            notes.extend(problems)
        return SourceOutput(documents=tuple(emitted), notes=tuple(notes))


def generate(doc: Document, context: SourceContext) -> tuple[list[Document], list[str]]:
    """The Applications `doc` (an ApplicationSet) generates, and notes on what was not."""
    spec = _map(doc.body.get("spec"))
    namespace = doc.namespace or "argocd"
    label = f"ApplicationSet {namespace}/{doc.name}"
    go = spec.get("goTemplate") is True
    missing_error = any(
        str(o).replace(" ", "") == "missingkey=error" for o in spec.get("goTemplateOptions") or []
    )
    template = _map(spec.get("template"))
    notes: list[str] = []
    apps: list[Document] = []
    for entry in spec.get("generators") or []:
        generator = _map(entry)
        run = _Run(doc, context, go, missing_error, label, notes)
        params = run.params(generator)
        if params is None:
            continue
        kind = _kind(generator)
        own = _merge(template, _map(_map(generator.get(kind)).get("template")))
        for values in params:
            try:
                rendered = render_value(own, values, go=go, missing_error=missing_error)
            except TemplateError as err:
                notes.append(f"{label}: Application not generated: {err}")
                continue
            apps.append(_application(rendered, doc, namespace, label))
    return apps, notes


def _kind(generator: Mapping[str, Any]) -> str:
    kinds = [k for k in generator if k not in {"selector", "template"}]
    return kinds[0] if kinds else ""


@dataclass(frozen=True, slots=True)
class _Run:
    """One ApplicationSet's generators: parameter sets, with notes for what is not modelled."""

    doc: Document
    context: SourceContext
    go: bool
    missing_error: bool
    label: str
    notes: list[str]

    def params(self, generator: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        params = self._generated(generator)
        selector = _map(generator.get("selector"))
        if params is None or not selector:
            return params
        if selector.get("matchExpressions"):
            self.notes.append(f"{self.label}: selector matchExpressions not applied")
        labels = _map(selector.get("matchLabels"))
        return [p for p in params if all(_lookup(p, str(k)) == v for k, v in labels.items())]

    def _generated(self, generator: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        kind = _kind(generator)
        body = _map(generator.get(kind))
        if kind == "list":
            return _list_generator(body, self.go)
        if kind == "git":
            params, problems = _git_generator(body, self.doc, self.context, self.go, self.label)
            self.notes.extend(problems)
            return params
        if kind == "matrix":
            return self._matrix(body)
        if kind == "merge":
            return self._merge(body)
        self.notes.append(f"{self.label}: {kind or 'empty'} generator not modelled")
        return None

    def _children(self, body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return [_map(g) for g in body.get("generators") or []]

    def _matrix(self, body: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """Every pair of the two children's parameter sets, merged; the second child may use
        the first's parameters (Argo CD renders it with each of them)."""
        children = self._children(body)
        if len(children) != 2:
            self.notes.append(f"{self.label}: matrix generator needs exactly two generators")
            return None
        first = self.params(children[0])
        if first is None:
            return None
        out: list[dict[str, Any]] = []
        for values in first:
            try:
                second_spec = render_value(
                    children[1], values, go=self.go, missing_error=self.missing_error
                )
            except TemplateError as err:
                self.notes.append(f"{self.label}: matrix generator not rendered: {err}")
                return None
            second = self.params(second_spec)
            if second is None:
                return None
            out.extend({**values, **more} for more in second)
        return out

    def _merge(self, body: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """The first child's parameter sets, each updated by the later children's sets that
        agree with it on every `mergeKeys` value."""
        children = self._children(body)
        keys = [str(k) for k in body.get("mergeKeys") or []]
        if not children or not keys:
            self.notes.append(f"{self.label}: merge generator needs generators and mergeKeys")
            return None
        base = self.params(children[0])
        if base is None:
            return None
        out = [dict(b) for b in base]
        for child in children[1:]:
            for values in self.params(child) or []:
                wanted = [_lookup(values, k) for k in keys]
                for item in out:
                    if [_lookup(item, k) for k in keys] == wanted:
                        item.update(values)
        return out


def _lookup(params: Mapping[str, Any], key: str) -> Any:
    if key in params:
        return params[key]
    current: Any = params
    for part in key.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _application(
    rendered: Mapping[str, Any], doc: Document, namespace: str, label: str
) -> Document:
    meta = dict(_map(rendered.get("metadata")))
    meta.setdefault("namespace", namespace)
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": meta,
        "spec": dict(_map(rendered.get("spec"))),
    }
    return Document(body, SourceRef(doc.source.file, doc.source.line, label), doc.index)
