"""The chart in deploy/helm/archfit rendered as `helm template` renders it, through the Helm SDK
for Python (the `helm` extra; there is no helm binary in CI), and the recorded API server's
OpenAPI schemas to check the objects against."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from archfit.sources.renderers import SDK_MODULE, Renderer

CHART = Path(__file__).resolve().parents[3] / "deploy" / "helm" / "archfit"
RELEASE = "archfit"
NAMESPACE = "archfit"

# The value sets every test runs over: each turns on one family of optional objects.
SCENARIOS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "cert-manager": {"certManager": {"enabled": True}},
    "monitoring": {
        "monitoring": {
            "serviceMonitor": {"enabled": True},
            "prometheusRule": {"enabled": True},
            "dashboard": {"enabled": True},
        }
    },
    "everything": {
        "certManager": {"enabled": True},
        "lockfile": {"configMap": "archfit-lock", "key": "archfit.lock"},
        "webhook": {"denyDaemonSetArchGaps": True, "verifiedTaint": True},
        "monitoring": {
            "serviceMonitor": {"enabled": True},
            "prometheusRule": {"enabled": True},
            "dashboard": {"enabled": True},
        },
    },
}

Objects = list[dict[str, Any]]


def require_sdk() -> None:
    if importlib.util.find_spec(SDK_MODULE) is None:
        if os.environ.get("CI"):
            pytest.fail("helm-python-sdk missing (the dev extra installs it)")
        pytest.skip("helm-python-sdk not installed (pip install 'archfit[helm]')")


_rendered: dict[str, Objects] = {}


def render(values: Mapping[str, Any]) -> Objects:
    """The chart's objects for these values (release `archfit` in namespace `archfit`)."""
    require_sdk()
    key = json.dumps(values, sort_keys=True)
    if key not in _rendered:
        text = Renderer(None).render(CHART, RELEASE, NAMESPACE, values)
        _rendered[key] = [doc for doc in yaml.safe_load_all(text) if doc]
    return _rendered[key]


def one(objects: Objects, kind: str, name: str | None = None) -> dict[str, Any]:
    """The single object of `kind` (and `name`); fails the test when there is not exactly one."""
    found = [
        o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"{len(found)} {kind} {name or ''} objects rendered"
    return found[0]
