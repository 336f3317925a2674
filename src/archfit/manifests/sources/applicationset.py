"""Argo CD `ApplicationSet` (argoproj.io/v1alpha1): the Applications it generates.

Generators modelled: `list` (`elements`), `clusters` (the repository's cluster Secrets and the
local cluster; `appset_clusters`), and `git` with `directories` (Go `path.Match` globs,
`exclude: true` entries win over includes, directories starting with `.` skipped) and `files`
(globs where `**` crosses directories; each YAML/JSON file gives one parameter set, flattened
with dots in fasttemplate mode). Git generators read the repository at hand: the glob is
matched below the ApplicationSet's own directory or one of its parents, or one of the input
roots or their parents (the repository root is not known); when no such base holds the path
the remote repository is taken as not fetched (`appset-not-generated`). `matrix` (two children,
the second rendered with each parameter set of the first) and `merge` (`mergeKeys`) combine
them; a generator's `selector` (`matchLabels`, `matchExpressions` on the parameters flattened
with dots) filters its parameter sets.

The generators that ask a live service for their parameters (`scmProvider`, `pullRequest`,
`clusterDecisionResource`, `plugin`) are not run: reading a repository does no network I/O.
Each is an `appset-not-generated` finding at the ApplicationSet's file and line; inside a
`matrix` or `merge` the whole combination is left out, and the finding says so. A generator
archfit does not know, and a template using a construct archfit does not evaluate, are the
same finding.

Path parameters as Argo CD gives them: `path` (and `path.path`), `path.basename`,
`path.basenameNormalized`, `path[N]` (fasttemplate) or `.path.segments` (Go); files also give
`path.filename` and `path.filenameNormalized` (`path` is then the file's directory).
`pathParamPrefix` prefixes them.

`spec.templatePatch` is rendered with each parameter set and applied to the rendered
Application as a strategic merge patch (`appset_patch`); when it uses what archfit does not
evaluate, the Application is generated without it and a `template-patch-not-applied` finding
says so. Every generated Application lives in the ApplicationSet's namespace, as Argo CD
forces it.

Each generated Application is a `Document` whose `origin` names the ApplicationSet, with the
ApplicationSet's file and line; later sources (`argocd`, `argocd-directory`) read them like the
Applications written in files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archfit.manifests.documents import Document
from archfit.manifests.sources.appset_clusters import (
    ClusterSecrets,
    cluster_params,
    selector_matches,
)
from archfit.manifests.sources.appset_functions import NotModelledError, normalized
from archfit.manifests.sources.appset_git import flatten, git_generator, glob_regex
from archfit.manifests.sources.appset_patch import merge_patch, parse_patch
from archfit.manifests.sources.appset_template import TemplateError, render_value
from archfit.manifests.sources.interface import SourceContext, SourceOutput
from archfit.model.finding import Finding
from archfit.model.workload import SourceRef

__all__ = ["ArgoApplicationSetSource", "glob_regex", "normalized"]

GROUP = "argoproj.io"
NOT_GENERATED = "appset-not-generated"
PATCH_NOT_APPLIED = "template-patch-not-applied"
# What each generator needs that an offline read of a repository does not have.
_LIVE_GENERATORS = {
    "scmProvider": "the repositories of an organisation from the SCM provider's API",
    "pullRequest": "the open pull requests from the Git host's API",
    "clusterDecisionResource": "a decision resource (e.g. an OCM PlacementDecision) in the cluster",
    "plugin": "the parameters from a plugin's HTTP service",
}


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list_generator(spec: Mapping[str, Any], go: bool) -> list[dict[str, Any]]:
    out = []
    for element in spec.get("elements") or []:
        if isinstance(element, Mapping):
            out.append(dict(element) if go else flatten(element))
    return out


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
        findings: list[Finding] = []
        secrets: ClusterSecrets | None = None
        for doc in documents:
            if doc.kind != "ApplicationSet" or doc.group != GROUP:
                continue
            if secrets is None:
                secrets = ClusterSecrets.of(documents)
            generated = generate(doc, context, secrets)
            emitted.extend(generated.applications)
            notes.extend(generated.notes)
            findings.extend(generated.findings)
        return SourceOutput(documents=tuple(emitted), notes=tuple(notes), findings=tuple(findings))


@dataclass(frozen=True, slots=True)
class Generation:
    """What one ApplicationSet generated, the notes, and the findings on what it left out."""

    applications: list[Document]
    notes: list[str]
    findings: list[Finding]


def generate(
    doc: Document, context: SourceContext, secrets: ClusterSecrets | None = None
) -> Generation:
    """The Applications `doc` (an ApplicationSet) generates, and what was not generated."""
    spec = _map(doc.body.get("spec"))
    namespace = doc.namespace or "argocd"
    label = f"ApplicationSet {namespace}/{doc.name}"
    go = spec.get("goTemplate") is True
    missing_error = any(
        str(o).replace(" ", "") == "missingkey=error" for o in spec.get("goTemplateOptions") or []
    )
    template = _map(spec.get("template"))
    patch = spec.get("templatePatch")
    out = Generation([], [], [])
    run = _Run(doc, context, go, missing_error, label, out, secrets or ClusterSecrets(), [])
    unpatched: list[str] = []
    unrendered: list[str] = []
    failed: list[str] = []
    for entry in spec.get("generators") or []:
        generator = _map(entry)
        params = run.params(generator)
        if params is None:
            continue
        kind = _kind(generator)
        own = _merge(template, _map(_map(generator.get(kind)).get("template")))
        for values in params:
            try:
                rendered = render_value(own, values, go=go, missing_error=missing_error)
            except NotModelledError as err:
                unrendered.append(str(err))
                continue
            except TemplateError as err:
                out.notes.append(f"{label}: Application not generated: {err}")
                failed.append(str(err))
                continue
            if isinstance(patch, str) and patch.strip():
                try:
                    rendered = _patched(rendered, patch, values, go, missing_error)
                except NotModelledError as err:
                    unpatched.append(str(err))
                except TemplateError as err:
                    out.notes.append(f"{label}: Application not generated: {err}")
                    failed.append(str(err))
                    continue
            out.applications.append(_application(rendered, doc, namespace, label))
    if unrendered:
        out.findings.append(
            Finding(
                NOT_GENERATED,
                "warning",
                f"{label}: its template uses what archfit does not evaluate ({unrendered[0]}); "
                f"archfit did not generate {len(unrendered)} Application(s), and their "
                "workloads are not checked",
                source=doc.source,
                hint="check the Applications it generates with `archfit check` on their "
                "manifests, or write the template with what docs/sources.md lists",
                rule="argocd",
            )
        )
    if failed:
        out.findings.append(
            Finding(
                NOT_GENERATED,
                "warning",
                f"{label}: {len(failed)} Application(s) do not render ({failed[0]}), in Argo CD "
                "either; their workloads are not checked",
                source=doc.source,
                hint="fix the template (or templatePatch) so that every parameter set renders",
                rule="argocd",
            )
        )
    if unpatched:
        out.findings.append(
            Finding(
                PATCH_NOT_APPLIED,
                "warning",
                f"{label}: templatePatch not evaluated ({unpatched[0]}): "
                f"{len(unpatched)} Application(s) generated from the template without it",
                source=doc.source,
                hint="check the generated Applications by hand, or express the change in "
                "the template",
                rule="argocd",
            )
        )
    return out


def _patched(
    rendered: Mapping[str, Any], patch: str, values: Mapping[str, Any], go: bool, missing: bool
) -> dict[str, Any]:
    text = render_value(patch, values, go=go, missing_error=missing)
    return merge_patch(rendered, parse_patch(str(text)))


def _kind(generator: Mapping[str, Any]) -> str:
    kinds = [k for k in generator if k not in {"selector", "template"}]
    return kinds[0] if kinds else ""


@dataclass(frozen=True, slots=True)
class _Run:
    """One ApplicationSet's generators: parameter sets, with notes and findings for what is
    not generated. `outer` is the stack of `matrix`/`merge` generators being evaluated."""

    doc: Document
    context: SourceContext
    go: bool
    missing_error: bool
    label: str
    out: Generation
    secrets: ClusterSecrets
    outer: list[str]

    @property
    def notes(self) -> list[str]:
        return self.out.notes

    def not_generated(self, why: str, kind: str) -> None:
        what = f"the {kind} generator"
        if self.outer:
            what += f" inside {' inside '.join(reversed(self.outer))}"
            result = f"none of the Applications of that {self.outer[0]} combination"
        else:
            result = "none of its Applications"
        self.out.findings.append(
            Finding(
                NOT_GENERATED,
                "warning",
                f"{self.label}: {what} {why}; archfit generated {result}, and their "
                "workloads are not checked",
                source=self.doc.source,
                hint="check the Applications it generates with `archfit check` on their "
                "manifests, or generate them with a list or git generator",
                rule="argocd",
                details={"generator": kind},
            )
        )

    def params(self, generator: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        params = self._generated(generator)
        selector = _map(generator.get("selector"))
        if params is None or not selector:
            return params
        labels = _map(selector.get("matchLabels"))
        expressions = {"matchExpressions": selector.get("matchExpressions") or []}
        # Argo CD matches the expressions against the parameters flattened with dots.
        return [
            p
            for p in params
            if all(_lookup(p, str(k)) == v for k, v in labels.items())
            and selector_matches(expressions, flatten(p))
        ]

    def _generated(self, generator: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        kind = _kind(generator)
        body = _map(generator.get(kind))
        if kind == "list":
            return _list_generator(body, self.go)
        if kind == "clusters":
            return self._clusters(body)
        if kind == "git":
            params, problems = git_generator(body, self.doc, self.context, self.go, self.label)
            self.notes.extend(problems)
            if problems:
                self.not_generated(
                    f"reads {body.get('repoURL') or 'a repository'}, whose paths are not in the "
                    "files given (remote repositories are not fetched)",
                    "git",
                )
            return params
        if kind in {"matrix", "merge"}:
            self.outer.append(kind)
            try:
                return self._matrix(body) if kind == "matrix" else self._merge(body)
            finally:
                self.outer.pop()
        if kind in _LIVE_GENERATORS:
            self.not_generated(
                f"needs {_LIVE_GENERATORS[kind]}, which reading a repository offline does not have",
                kind,
            )
            return None
        self.not_generated("is not one archfit knows", kind or "empty")
        return None

    def _clusters(self, body: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        namespace = self.doc.namespace or "argocd"

        def render(value: str, params: Mapping[str, Any]) -> str:
            return str(render_value(value, params, go=self.go, missing_error=self.missing_error))

        try:
            params = cluster_params(body, self.secrets, namespace, go=self.go, render=render)
        except NotModelledError as err:
            self.not_generated(f"has values archfit does not evaluate ({err})", "clusters")
            return None
        except TemplateError as err:
            self.notes.append(f"{self.label}: clusters generator values not rendered: {err}")
            self.not_generated(
                f"has values that do not render ({err}), in Argo CD either", "clusters"
            )
            return None
        encrypted = self.secrets.encrypted_in(namespace)
        if encrypted:
            self.not_generated(
                f"reads {len(encrypted)} cluster Secret(s) whose data is not readable offline "
                f"(SOPS, SealedSecret, ExternalSecret: {', '.join(encrypted)})",
                "clusters",
            )
        return params

    def _invalid(self, why: str) -> None:
        """A `matrix`/`merge` that Argo CD rejects: the finding names it, not its own parent."""
        kind = self.outer.pop()
        try:
            self.not_generated(why, kind)
        finally:
            self.outer.append(kind)

    def _children(self, body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return [_map(g) for g in body.get("generators") or []]

    def _matrix(self, body: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """Every pair of the two children's parameter sets, merged; the second child may use
        the first's parameters (Argo CD renders it with each of them)."""
        children = self._children(body)
        if len(children) != 2:
            self._invalid("needs exactly two generators, as Argo CD requires")
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
                self.not_generated(
                    f"does not render with the first generator's parameters ({err})",
                    _kind(children[1]) or "empty",
                )
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
            self._invalid("needs generators and mergeKeys")
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
    # Argo CD puts every Application in the ApplicationSet's namespace, whatever the template
    # says (the appsets-in-any-namespace boundary).
    meta["namespace"] = namespace
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": meta,
        "spec": dict(_map(rendered.get("spec"))),
    }
    return Document(body, SourceRef(doc.source.file, doc.source.line, label), doc.index)
