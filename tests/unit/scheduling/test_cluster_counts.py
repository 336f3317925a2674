"""The cluster's per-selector pod counts stay right when selectors are indexed between binds
(the label-set memo must not hide a selector indexed after it was filled)."""

from __future__ import annotations

from archfit.model.selectors import LabelSelector
from archfit.scheduling.framework.cluster import Cluster

from .builders import node, pod


def test_counts_follow_binds_and_selectors_indexed_later() -> None:
    cluster = Cluster([node("a").build(), node("b").build()])
    web = LabelSelector({"app": "web"})
    team = LabelSelector({"team": "x"})
    first = pod("web-1").labels(app="web", team="x").info()
    second = pod("web-2").labels(app="web", team="x").info()
    assert cluster.match_counts("default", web) == {}
    cluster.bind(first, "a")
    assert cluster.match_counts("default", web) == {"a": 1}
    # Indexed after the memo for {app: web, team: x} was filled by the bind above.
    assert cluster.match_counts("default", team) == {"a": 1}
    cluster.bind(second, "b")
    assert cluster.match_counts("default", web) == {"a": 1, "b": 1}
    assert cluster.match_counts("default", team) == {"a": 1, "b": 1}
    cluster.unbind(first)
    assert cluster.match_counts("default", web) == {"b": 1}
    assert cluster.match_counts("default", team) == {"b": 1}
    other = pod("db-1", namespace="other").labels(app="web").info()
    cluster.bind(other, "a")
    assert cluster.match_counts("default", web) == {"b": 1}
    assert cluster.match_counts("other", web) == {"a": 1}
