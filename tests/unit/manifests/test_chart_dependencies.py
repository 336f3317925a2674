"""Which dependencies of a chart Helm enables (`condition` first, then `tags`), and the chart
name and version a packaged chart's file name gives; cases from Helm's documentation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archfit.manifests.sources._charts import Dependency, archive_chart_name, dependency_enabled


def dep(condition: str = "", tags: tuple[str, ...] = ()) -> Dependency:
    return Dependency("db", "db", "1.0.0", "", condition, tags, vendored=True)


@pytest.mark.parametrize(
    ("dependency", "values", "enabled"),
    [
        (dep(), {}, True),
        (dep("db.enabled"), {"db": {"enabled": False}}, False),
        (dep("db.enabled"), {"db": {}}, True),
        # The first path that holds a boolean decides.
        (dep("db.enabled,global.db.enabled"), {"global": {"db": {"enabled": False}}}, False),
        (dep("db.enabled"), {"db": {"enabled": "false"}}, True),  # not a boolean: ignored
        (dep(tags=("backend",)), {"tags": {"backend": False}}, False),
        (dep(tags=("backend", "store")), {"tags": {"backend": False, "store": True}}, True),
        (dep(tags=("backend",)), {"tags": {}}, True),
        # A condition overrides the tags.
        (
            dep("db.enabled", ("backend",)),
            {"db": {"enabled": True}, "tags": {"backend": False}},
            True,
        ),
    ],
)
def test_dependency_enabled(dependency: Dependency, values: dict[str, Any], enabled: bool) -> None:
    assert dependency_enabled(dependency, values) is enabled


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("web-1.2.3.tgz", ("web", "1.2.3")),
        ("app-template-3.5.1.tgz", ("app-template", "3.5.1")),
        ("kube-prometheus-stack-65.1.0-rc.1.tgz", ("kube-prometheus-stack", "65.1.0-rc.1")),
        ("odd.tgz", ("odd", "")),
    ],
)
def test_archive_chart_name(name: str, expected: tuple[str, str]) -> None:
    assert archive_chart_name(Path("charts") / name) == expected
