"""Local Helm charts as files: where they are, what their `Chart.yaml` declares, whether the
dependencies it declares are vendored, and which of them a release enables.

Shared by the Helm sources. Helm itself decides the same things when it renders (`helm template`
refuses a chart whose `dependencies` are not all under `charts/`, enabled or not); archfit decides
them first so that it can say which dependency is missing and model what it can without it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archfit.manifests.helm.apptemplate import is_app_template
from archfit.manifests.helm.release import Release, ReleaseOutput, expand_release
from archfit.manifests.helm.values import coalesce, merge_maps
from archfit.manifests.renderers import HelmRenderer
from archfit.manifests.sources._common import chart_defaults, yaml_mapping
from archfit.manifests.sources.interface import FileTree
from archfit.model.finding import Finding

__all__ = [
    "Dependency",
    "LocalChart",
    "archive_chart_name",
    "chart_dirs",
    "dependency_enabled",
    "expand_local",
    "read_chart",
]

# `helm package` names an archive `<name>-<version>.tgz`; versions are SemVer.
_ARCHIVE = re.compile(r"^(?P<name>.+?)-v?(?P<version>\d+(\.\d+){0,2}([-+][0-9A-Za-z.+-]*)?)\.tgz$")


def archive_chart_name(path: Path) -> tuple[str, str]:
    """(chart name, version) from a packaged chart's file name (`web-1.2.3.tgz`)."""
    found = _ARCHIVE.match(path.name)
    if found is None:
        return path.name.removesuffix(".tgz"), ""
    return found["name"], found["version"]


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True, slots=True)
class Dependency:
    """One entry of `Chart.yaml` `dependencies`; `key` is where its values live in the parent's
    values (its alias, else its name); `vendored` whether `charts/` holds it."""

    name: str
    key: str
    version: str
    repository: str
    condition: str
    tags: tuple[str, ...]
    vendored: bool

    @property
    def display(self) -> str:
        where = f" from {self.repository}" if self.repository else ""
        return f"{self.name} {self.version}{where}".replace("  ", " ").strip()


@dataclass(frozen=True, slots=True)
class LocalChart:
    """A chart directory: `name`, `version`, `type` (`application` or `library`) and its
    dependencies."""

    directory: Path
    name: str
    version: str
    type: str
    dependencies: tuple[Dependency, ...]

    @property
    def missing(self) -> tuple[Dependency, ...]:
        return tuple(d for d in self.dependencies if not d.vendored)

    @property
    def library(self) -> bool:
        return self.type == "library"


def _vendored_at(files: FileTree, charts: Path, name: str) -> Path | None:
    """Where `charts/` holds dependency `name`: its directory or its archive."""
    if files.is_file(charts / name / "Chart.yaml"):
        return charts / name
    for path in sorted(files.glob(charts, f"{name}-*.tgz")):
        if archive_chart_name(path)[0] == name:
            return path
    return None


def read_chart(files: FileTree, directory: Path) -> LocalChart:
    """The chart in `directory` (holding a `Chart.yaml`; an unreadable one reads as a chart named
    after the directory, without dependencies)."""
    meta = yaml_mapping(files, directory / "Chart.yaml")
    declared = meta.get("dependencies")
    if declared is None and str(meta.get("apiVersion") or "v1") == "v1":
        # Charts of apiVersion v1 (Helm 2) declare them in requirements.yaml.
        declared = yaml_mapping(files, directory / "requirements.yaml").get("dependencies")
    deps = []
    for raw in declared if isinstance(declared, list) else []:
        if not isinstance(raw, Mapping) or not raw.get("name"):
            continue
        name = str(raw["name"])
        tags = raw.get("tags")
        deps.append(
            Dependency(
                name=name,
                key=str(raw.get("alias") or name),
                version=str(raw.get("version") or ""),
                repository=str(raw.get("repository") or ""),
                condition=str(raw.get("condition") or ""),
                tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
                vendored=_vendored_at(files, directory / "charts", name) is not None,
            )
        )
    return LocalChart(
        directory=directory,
        name=str(meta.get("name") or directory.name),
        version=str(meta.get("version") or ""),
        type=str(meta.get("type") or "application"),
        dependencies=tuple(deps),
    )


def dependency_enabled(dep: Dependency, values: Mapping[str, Any]) -> bool:
    """Whether Helm renders `dep` with the parent's `values`: the first `condition` path that
    holds a boolean decides; else its `tags` (enabled when one is true, disabled when all that
    are set are false); else enabled (Helm's `ProcessDependencyEnabled`)."""
    for path in dep.condition.split(","):
        if not path.strip():
            continue
        node: Any = values
        for part in path.strip().split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, bool):
            return node
    tags = _map(values.get("tags"))
    states = [tags[t] for t in dep.tags if isinstance(tags.get(t), bool)]
    return not states or any(states)


def chart_dirs(files: FileTree, roots: Sequence[Path]) -> Iterator[Path]:
    """Directories below `roots` holding a `Chart.yaml`, each once, skipping hidden directories
    and what a chart holds itself (its templates and vendored subcharts are rendered with it)."""
    seen: set[str] = set()
    for root in roots:
        if not files.is_dir(root):
            continue
        for directory, dirnames, filenames in files.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            if "Chart.yaml" in filenames:
                real = files.real_path(directory)
                if real not in seen:
                    seen.add(real)
                    yield Path(directory)
                dirnames[:] = []


def expand_local(
    release: Release, files: FileTree, helm: HelmRenderer | None
) -> list[ReleaseOutput]:
    """Model a release of a local chart. Rendered whole (its own templates and its subcharts,
    as `helm template` does) when there is a renderer and every declared dependency is vendored;
    otherwise, when the chart declares dependencies, each one its values enable is modelled as a
    release of its own from the values under its key (an `app-template` dependency from its
    values, a vendored one rendered alone), and a missing dependency is one finding."""
    chart_dir = release.chart_dir
    if chart_dir is None or not files.is_file(chart_dir / "Chart.yaml"):
        return [expand_release(release, helm)]
    chart = read_chart(files, chart_dir)
    if not chart.dependencies or (helm is not None and not chart.missing):
        # Rendered whole (or, without a renderer, the release standing for its pods): `fix`
        # writes an `affinity` value only where the chart is known to read one.
        reads: dict[tuple[str, ...], bool | None] = {(): _reads_affinity(files, chart_dir)}
        for dep in chart.dependencies:
            vendored = _vendored_at(files, chart_dir / "charts", dep.name)
            if vendored is not None and files.is_dir(vendored):
                reads[(dep.key,)] = _reads_affinity(files, vendored)
        known = {k: v for k, v in reads.items() if v is not None}
        return [expand_release(dataclasses.replace(release, reads_affinity=known), helm)]
    values = release.values
    enabled = [d for d in chart.dependencies if dependency_enabled(d, values)]
    out: list[ReleaseOutput] = []
    if chart.missing:
        out.append(_missing(release, chart, enabled, files, helm))
    problems = release.problems
    for dep in enabled:
        sub_values = dict(_map(values.get(dep.key)))
        if isinstance(values.get("global"), Mapping):
            sub_values["global"] = merge_maps(_map(sub_values.get("global")), values["global"])
        vendored = _vendored_at(files, chart_dir / "charts", dep.name)
        defaults = chart_defaults(files, vendored if vendored and files.is_dir(vendored) else None)
        sub = dataclasses.replace(
            release,
            chart=dep.name,
            chart_ref=f"{dep.repository} {dep.name}:{dep.version}".strip(),
            version=dep.version,
            values=coalesce(sub_values, defaults),
            values_root=(*release.values_root, dep.key),
            chart_dir=vendored,
            problems=problems,
        )
        problems = ()  # reported once, with the first dependency
        out.append(expand_release(sub, helm))
    return out


def _missing(
    release: Release,
    chart: LocalChart,
    enabled: Sequence[Dependency],
    files: FileTree,
    helm: HelmRenderer | None,
) -> ReleaseOutput:
    """The one finding for a chart whose declared dependencies are not all vendored."""
    missing = ", ".join(d.display for d in chart.missing)
    modelled = [d.key for d in enabled if d.vendored or is_app_template(d.name)]
    own = bool(files.list_dir(chart.directory / "templates"))
    instead = (
        f"archfit modelled the dependencies it has or knows from the values ({', '.join(modelled)})"
        if modelled
        else "archfit modelled none of its dependencies"
    )
    if own:
        instead += "; the chart's own templates/ were not rendered"
    unknown = any(not d.vendored and not is_app_template(d.name) for d in enabled)
    renderer = helm.name if helm is not None else "helm"
    out = ReleaseOutput()
    out.findings.append(
        Finding(
            id="helm-not-rendered",
            severity="warning" if own or unknown else "info",
            message=f"{release.document.source}: {release.display}: chart {chart.name} "
            f"({chart.directory}) not rendered: its Chart.yaml declares dependencies that are "
            f"not vendored under charts/ ({missing}), and {renderer} renders only what is on "
            f"this machine; {instead}",
            subject=f"{release.kind}/{release.namespace}/{release.name}",
            source=release.document.source,
            hint=f"run `helm dependency build {chart.directory}` (or vendor the charts) to have "
            "the whole chart rendered",
            rule="manifests",
        )
    )
    return out


def _reads_affinity(files: FileTree, chart_dir: Path) -> bool | None:
    """Whether the chart's own templates read an `affinity` value: True when one names
    `.Values.affinity`, False when none mentions affinity at all, None when only some other
    path does (a helper, a per-component value): `fix` writes the top-level value only when it
    knows the chart reads it, or when it cannot tell (and says so)."""
    mentioned = False
    for directory, _, names in files.walk(chart_dir / "templates"):
        for name in names:
            text = files.read_text(Path(directory) / name) or ""
            if ".Values.affinity" in text:
                return True
            mentioned = mentioned or "affinity" in text
    return None if mentioned else False
