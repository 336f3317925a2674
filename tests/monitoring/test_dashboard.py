"""Every query of the Grafana dashboard parses (promtool) and names only metrics that exist:
the exporter's own families (collected from a real view), the recording rules, and a
hand-written list of kube-state-metrics and node-exporter names."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from archfit.kube.client import WatchEvent
from archfit.service.exporter.metrics import ViewCollector
from archfit.service.exporter.view import RESOURCES, ClusterView
from tests.monitoring.conftest import MONITORING
from tests.support import exporter_state

DASHBOARD = MONITORING / "archfit-dashboard.json"
# kube-state-metrics v2 and node-exporter names the dashboard and the rules use.
UPSTREAM = {
    "kube_node_labels",
    "kube_node_status_condition",
    "node_memory_MemAvailable_bytes",
    "up",
}
_WORDS = {
    # aggregations, functions and keywords of PromQL that may appear in the queries
    "sum",
    "max",
    "min",
    "avg",
    "count",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "rate",
    "increase",
    "label_replace",
    "absent",
    "time",
}


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def queries() -> list[tuple[str, str]]:
    dash = json.loads(DASHBOARD.read_text())
    return [
        (f"{panel['title']} / {target['refId']}", target["expr"])
        for panel in _panels(dash["panels"])
        for target in panel.get("targets", [])
    ]


def metric_names(expr: str) -> set[str]:
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors
    # label lists after by/without/on/ignoring/group_left/group_right
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text))
    return {n for n in names if n not in _WORDS}


def exporter_names(fixtures: Path) -> set[str]:
    view = ClusterView()
    for resource, items in exporter_state.broken(fixtures).items():
        view.apply(resource, WatchEvent("SYNC", {}, "1", tuple(items)))
    assert set(RESOURCES) <= set(exporter_state.broken(fixtures))
    names = set()
    for family in ViewCollector(view).collect():
        names.add(f"{family.name}_total" if family.type == "counter" else family.name)
    return names


def test_dashboard_has_the_promised_panels() -> None:
    titles = {title.rsplit(" / ", 1)[0] for title, _ in queries()}
    for wanted in (
        "CPU: requested vs allocatable",
        "Memory: requested vs allocatable",
        "Pending pods by reason",
        "Pods failing on the wrong architecture",
        "DaemonSet coverage per arch (ready / desired)",
    ):
        assert wanted in titles


def test_every_query_parses(promtool: str, tmp_path: Path) -> None:
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{i}", "expr": expr}
                    for i, (_, expr) in enumerate(queries())
                ],
            }
        ]
    }
    path = tmp_path / "dashboard.rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_query_is_caught(promtool: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.rules.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "groups": [
                    {
                        "name": "x",
                        "rules": [{"record": "x:y", "expr": "sum by (arch (archfit_nodes)"}],
                    }
                ]
            }
        )
    )
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, check=False
    )
    assert result.returncode != 0


def test_queries_reference_known_metrics(shared_dir: Path) -> None:
    recorded = {
        rule["record"]
        for group in yaml.safe_load((MONITORING / "archfit.rules.yaml").read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }
    known = exporter_names(shared_dir / "fixtures" / "apiserver") | recorded | UPSTREAM
    for title, expr in queries():
        unknown = metric_names(expr) - known
        assert not unknown, f"{title}: {expr} uses {sorted(unknown)}"


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('max by (namespace) (archfit_pods_pending{reason=~"a|b"})', {"archfit_pods_pending"}),
        ("sum by (r) (rate(archfit_watch_events_total[5m]))", {"archfit_watch_events_total"}),
        ("a:b:c / on (node) group_left (x) kube_node_labels", {"a:b:c", "kube_node_labels"}),
    ],
)
def test_metric_names(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_docs_describe_every_exporter_metric(shared_dir: Path) -> None:
    docs = (MONITORING.parents[1] / "docs" / "monitoring.md").read_text()
    documented = set(re.findall(r"`(archfit_[a-z_]+)`", docs))
    assert exporter_names(shared_dir / "fixtures" / "apiserver") == documented
