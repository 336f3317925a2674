"""A Kustomize overlay that only renders with a kustomize (its patch needs one), and the
check that one is installed: for tests of what rendering does and costs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["DEPLOYMENT", "patched_overlay", "require_kustomize"]

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: "nginx:1.27", resources: {requests: {cpu: 100m}}}
"""


def patched_overlay(root: Path) -> Path:
    """`root/base` (one Deployment, web) and `root/overlay` (namespace prod, a patch pinning it
    to amd64); returns the overlay. Four files in all."""
    base, overlay = root / "base", root / "overlay"
    base.mkdir(parents=True)
    overlay.mkdir()
    (base / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    (base / "deployment.yaml").write_text(DEPLOYMENT)
    (overlay / "kustomization.yaml").write_text(
        "namespace: prod\nresources: [../base]\npatches:\n  - path: arch.yaml\n"
    )
    (overlay / "arch.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
        "spec: {template: {spec: {nodeSelector: {kubernetes.io/arch: amd64}}}}\n"
    )
    return overlay


def require_kustomize(found: bool, what: str = "kubectl kustomize") -> None:
    """Skip when `found` is false, or fail under CI, whose machines carry kubectl 1.32."""
    if found:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} missing (CI machines carry kubectl 1.32)")
    pytest.skip(f"{what} is not installed")
