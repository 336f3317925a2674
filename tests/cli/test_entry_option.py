"""`--entry` on check, fix, simulate and lock: one cluster of a multi-cluster repository, the
entry point named in every workload record, and a one-line error for an unknown one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from archfit.cli.main import main

FLUX = Path(__file__).resolve().parents[1] / "fixtures" / "entrypoints" / "flux"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_json_names_the_entry_point_of_every_workload(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(capsys, "check", str(FLUX), "--format", "json", "--fail-on", "never")
    assert code == 0
    workloads = json.loads(out)["workloads"]
    assert sorted((w["entryPoint"], w["kind"], w["namespace"], w["name"]) for w in workloads) == [
        ("clusters/prod", "DaemonSet", "monitoring", "node-exporter"),
        ("clusters/prod", "Deployment", "web-prod", "web"),
        ("clusters/staging", "DaemonSet", "monitoring", "node-exporter"),
        ("clusters/staging", "Deployment", "web-staging", "web"),
    ]
    [finding] = [f for f in json.loads(out)["findings"] if f["id"] == "not-deployed"]
    assert finding["severity"] == "info"


def test_check_entry_selects_one_and_text_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys, "check", str(FLUX), "--entry", "clusters/prod", "--fail-on", "never"
    )
    assert code == 0
    assert "  entries    clusters/prod (2 workloads)\n" in out
    assert "entry point clusters/prod:\n" in out
    assert "web-staging" not in out


def test_unknown_entry_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "check", str(FLUX), "--entry", "clusters/dev")
    assert code == 2
    assert out == ""
    assert err.strip() == (
        "archfit: error: clusters/dev: no such entry point; expected one of: "
        "clusters/prod, clusters/staging"
    )


def test_simulate_one_entry_point_or_all_with_a_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        "apiVersion: archfit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: lab}\n"
        "nodes:\n  - {name: n1, arch: amd64, allocatable: {cpu: '4', memory: 8Gi, pods: 110}}\n"
    )
    args = ("simulate", str(FLUX), "--cluster", str(cluster), "--format", "json")
    _, out, _ = _run(capsys, *args)
    report = json.loads(out)
    assert (
        "2 entry points (clusters/prod, clusters/staging) simulated together on one cluster; "
        "choose one with --entry"
    ) in report["notes"]
    _, out, _ = _run(capsys, *args, "--entry", "clusters/staging")
    report = json.loads(out)
    assert not any("entry points" in n for n in report.get("notes", []))


def test_lock_reads_one_entry_point(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lock = tmp_path / "archfit.lock"
    code, out, _ = _run(
        capsys, "lock", str(FLUX), "--entry", "clusters/prod", "--lock", str(lock), "--check"
    )
    assert code == 1
    assert "missing  docker.io/library/nginx:1.27\n" in out
    assert "missing  quay.io/prometheus/node-exporter:v1.8.2\n" in out


def test_fix_dry_run_edits_a_shared_file_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    tree = tmp_path / "flux"
    shutil.copytree(FLUX, tree)
    (tree / "archfit.lock").write_text(
        "apiVersion: archfit.dev/v1alpha1\nkind: ImageLock\nimages:\n"
        "  docker.io/library/nginx:1.27:\n"
        "    digest: sha256:" + "0" * 64 + "\n    kind: index\n    platforms: [linux/amd64]\n"
        "  quay.io/prometheus/node-exporter:v1.8.2:\n"
        "    digest: sha256:" + "1" * 64 + "\n    kind: index\n    platforms: [linux/amd64]\n"
    )
    code, out, _ = _run(capsys, "fix", str(tree), "--dry-run", "--format", "json")
    assert code == 0
    result = json.loads(out)
    # node-exporter is deployed by both clusters from one file: one edit, not two.
    assert result["files"] == [
        str(tree / "apps/base/web/deployment.yaml"),
        str(tree / "infrastructure/monitoring/node-exporter.yaml"),
    ]
    assert result["diff"].count("+++ ") == 2


APPSET_HELM = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: media, namespace: argocd}
spec:
  generators:
    - list:
        elements: [{app: jellyfin}]
  template:
    metadata: {name: '{{app}}'}
    spec:
      source:
        repoURL: https://bjw-s-labs.github.io/helm-charts
        chart: app-template
        targetRevision: 3.5.1
        helm:
          valuesObject:
            controllers:
              main:
                containers:
                  main:
                    image: {repository: ghcr.io/example/jellyfin, tag: "10.9"}
      destination: {namespace: '{{app}}'}
"""


def test_fix_leaves_an_application_set_template_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "appset.yaml").write_text(APPSET_HELM)
    (tmp_path / "archfit.lock").write_text(
        "apiVersion: archfit.dev/v1alpha1\nkind: ImageLock\nimages:\n"
        "  ghcr.io/example/jellyfin:10.9:\n"
        "    digest: sha256:" + "2" * 64 + "\n    kind: index\n    platforms: [linux/amd64]\n"
    )
    code, out, _ = _run(capsys, "check", str(tmp_path), "--format", "json", "--fail-on", "never")
    assert [(w["namespace"], w["name"]) for w in json.loads(out)["workloads"]] == [
        ("jellyfin", "jellyfin")
    ]
    code, out, _ = _run(capsys, "fix", str(tmp_path), "--dry-run", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert result["files"] == []
    assert result["notes"] == [
        f"Deployment/jellyfin/jellyfin: its release is generated by the ApplicationSet in "
        f"{tmp_path / 'appset.yaml'}, whose template every generated Application shares; "
        "add the placement there by hand"
    ]
