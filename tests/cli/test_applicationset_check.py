"""`archfit check`, installed, on a repository whose ApplicationSets use a `clusters` generator
(its cluster Secret and the local cluster) and a `pullRequest` generator (needs a live API:
one warning, nothing generated)."""

from __future__ import annotations

import json

from tests.support.console import ROOT, archfit

REPO = ROOT / "tests" / "fixtures" / "argocd-appset" / "clusters"


def test_clusters_generator_and_live_generator_finding() -> None:
    run = archfit("check", ".", "--format", "json", "--fail-on", "error", cwd=REPO)
    assert run.code == 0, run.err
    report = json.loads(run.out)
    # One Application per cluster: the Secret's `pi` and Argo CD's own `in-cluster`.
    assert sorted(
        (w["namespace"], w["name"], w["source"], w["entryPoint"]) for w in report["workloads"]
    ) == [
        ("web", "web", "apps/web/deploy.yaml:1 (Application argocd/web-in-cluster)", "argocd"),
        ("web-pi", "web", "apps/web/deploy.yaml:1 (Application argocd/web-pi)", "argocd"),
    ]
    [finding] = [f for f in report["findings"] if f["id"] == "appset-not-generated"]
    assert finding["severity"] == "warning"
    assert finding["source"] == "argocd/previews.yaml:1"
    assert finding["details"] == {"generator": "pullRequest"}
    assert finding["message"].startswith(
        "ApplicationSet argocd/previews: the pullRequest generator needs the open pull "
        "requests from the Git host's API"
    )


def test_the_text_report_names_the_applicationset_and_fails_on_warning() -> None:
    run = archfit("check", ".", "--fail-on", "warning", cwd=REPO)
    assert run.code == 1
    assert "\n  appset-not-generated  argocd/previews.yaml:1\n" in run.out
    assert "    ApplicationSet argocd/previews: the pullRequest generator needs" in run.out
    assert "Traceback" not in run.err
