"""`archfit check` (the installed console script) on a Flux repository whose objects hold
post-build substitution variables: substitute, a substituteFrom ConfigMap and a Secret with
base64 data, a SOPS-encrypted Secret, and a values file that is YAML only once substituted."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from archfit.sources import renderers as kustomize_source
from tests.support.console import archfit
from tests.support.kustomize import require_kustomize

FILES = {
    "clusters/home/apps.yaml": """\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {name: web, namespace: flux-system}
        spec:
          path: ./apps/web
          targetNamespace: web
          postBuild:
            substitute: {TAG: "1.2.3"}
            substituteFrom:
              - {kind: ConfigMap, name: cluster-settings}
              - {kind: Secret, name: cluster-secrets}
              - {kind: Secret, name: seed-secrets}
        """,
    "clusters/home/settings.yaml": """\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cluster-settings, namespace: flux-system}
        data: {TAG: "0.0.1", DOMAIN: example.org}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: cluster-secrets, namespace: flux-system}
        data: {REGISTRY: Z2hjci5pbw==}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: seed-secrets, namespace: flux-system}
        stringData: {SEED_TAG: "ENC[AES256_GCM,data:c2VjcmV0,iv:aXY=,tag:dGFn,type:str]"}
        sops: {version: 3.9.4, mac: "ENC[AES256_GCM,data:bWFj,type:str]"}
        """,
    "apps/web/kustomization.yaml": """\
        resources: [deployment.yaml, job.yaml]
        configMapGenerator:
          - name: web-values
            files: [values.yaml]
        """,
    "apps/web/values.yaml": "ingress:\n  hosts: [ ${DOMAIN} ]\n",
    "apps/web/deployment.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: ${REPLICAS:=2}
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              nodeSelector:
                kubernetes.io/arch: ${ARCH:=arm64}
              containers:
                - {name: web, image: "${REGISTRY}/acme/web:${TAG}"}
        """,
    "apps/web/job.yaml": """\
        apiVersion: batch/v1
        kind: Job
        metadata: {name: seed}
        spec:
          template:
            spec:
              restartPolicy: Never
              containers:
                - {name: literal, image: "busybox:$${SEED_TAG}"}
                - {name: secret, image: "ghcr.io/acme/seed:${SEED_TAG}"}
        """,
    "archfit.lock": """\
        apiVersion: archfit.dev/v1alpha1
        kind: ImageLock
        images:
          ghcr.io/acme/web:1.2.3:
            digest: sha256:1ac98ae175ce484847eee9893b431580dce852bf71c92416602de9b0a50b1f47
            kind: index
            platforms: [linux/arm64]
            resolvedAt: '2026-11-20T09:00:00Z'
        """,
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    require_kustomize(kustomize_source.kustomize_command() is not None)
    root = tmp_path / "repo"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_check_judges_the_substituted_objects(repo: Path) -> None:
    run = archfit("check", str(repo), "--format", "json", cwd=repo.parent)
    assert run.code == 1, run.err  # the two images of the Job cannot be resolved
    report = json.loads(run.out)
    workloads = {(w["kind"], w["namespace"], w["name"]): w for w in report["workloads"]}
    web = workloads["Deployment", "web", "web"]
    assert [(i["ref"], i["platforms"], i["status"]) for i in web["images"]] == [
        ("ghcr.io/acme/web:1.2.3", ["linux/arm64"], "resolved")
    ]
    assert web["allowed_architectures"] == ["arm64"]  # ${ARCH:=arm64}
    assert [f["id"] for f in web["findings"]] == []
    seed = workloads["Job", "web", "seed"]
    assert [i["ref"] for i in seed["images"]] == [
        "busybox:${SEED_TAG}",  # `$${…}` is the literal text
        "ghcr.io/acme/seed:${SEED_TAG}",  # SOPS-encrypted: not known here, kept
    ]
    ids = sorted(f["id"] for f in report["findings"])
    assert "invalid-yaml" not in ids
    assert "invalid-manifest" not in ids
    (unresolved,) = [f for f in report["findings"] if f["id"] == "unresolved-variable"]
    assert unresolved["details"] == {"variables": ["SEED_TAG"]}
    assert "Secret flux-system/seed-secrets is SOPS-encrypted" in unresolved["message"]


def test_the_text_report_says_what_was_kept_once(repo: Path) -> None:
    run = archfit("check", str(repo), cwd=repo.parent)
    assert run.code == 1, run.err
    assert run.out.count("unresolved-variable") == 1
    assert "invalid-yaml" not in run.out
