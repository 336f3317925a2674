"""The layout repositories the CLI tests read (`tests/fixtures/layouts`) and what running archfit on
them needs: the helm binary, a cluster of one amd64 and one arm64 worker, an image lock written by
hand, and what `kubectl kustomize` builds from an overlay after an edit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.console import ROOT
from tests.support.kustomize import require_kustomize

__all__ = [
    "AMD64_ONLY",
    "BOTH_PLATFORMS",
    "LAYOUTS",
    "TWO_ARCH_CLUSTER",
    "helm_binary",
    "image_lock",
    "kustomize_build",
]

LAYOUTS = ROOT / "tests" / "fixtures" / "layouts"


def helm_binary() -> str:
    """The helm binary `scripts/install-helm` puts beside the interpreter, or one on PATH."""
    beside = Path(sys.executable).parent / "helm"
    found = str(beside) if beside.is_file() else shutil.which("helm")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no helm binary: run scripts/install-helm")
        pytest.skip("no helm binary (scripts/install-helm puts one in .venv/bin)")
    return found


TWO_ARCH_CLUSTER = """\
apiVersion: archfit.dev/v1alpha1
kind: Cluster
metadata:
  name: lab
nodes:
  - {name: x1, arch: amd64, roles: [worker], allocatable: {cpu: 8, memory: 32Gi, pods: 110}}
  - {name: a1, arch: arm64, roles: [worker], allocatable: {cpu: 8, memory: 32Gi, pods: 110}}
"""


def image_lock(images: dict[str, list[str]]) -> str:
    """An `archfit.lock` listing each image with the platforms given and a made-up digest."""
    lines = ["apiVersion: archfit.dev/v1alpha1", "kind: ImageLock", "images:"]
    for n, (ref, platforms) in enumerate(sorted(images.items())):
        lines += [
            f"  {ref}:",
            f"    digest: sha256:{n:064x}",
            "    kind: index",
            "    platforms:",
            *(f"    - {p}" for p in platforms),
            "    resolvedAt: '2026-11-20T09:00:00Z'",
        ]
    return "\n".join(lines) + "\n"


BOTH_PLATFORMS = ["linux/amd64", "linux/arm64"]
AMD64_ONLY = ["linux/amd64"]


def _kubectl() -> str:
    kubectl = shutil.which("kubectl")
    require_kustomize(kubectl is not None)
    assert kubectl is not None
    return kubectl


def kustomize_build(overlay: Path) -> dict[str, dict[str, object]]:
    """The objects `kubectl kustomize` builds from `overlay`, by `Kind/name`."""
    out = subprocess.run(
        [_kubectl(), "kustomize", str(overlay)], capture_output=True, text=True, check=True
    ).stdout
    return {
        f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all(out) if d is not None
    }
