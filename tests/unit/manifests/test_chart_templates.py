"""Files inside a Helm chart's `templates/` are Go templates, never read as plain manifests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from archfit.sources import load_manifests

TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
spec:
  template:
    spec:
      containers: [{name: web, image: "{{ .Values.image }}"}]
"""
PLAIN = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: plain}
spec:
  template:
    spec:
      containers: [{name: web, image: nginx:1.27}]
"""


def test_chart_templates_are_not_invalid_yaml(tmp_path: Path) -> None:
    for chart in ("charts/web", "charts/web/charts/sub"):
        (tmp_path / chart / "templates").mkdir(parents=True)
        (tmp_path / chart / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
        (tmp_path / chart / "templates" / "deploy.yaml").write_text(TEMPLATE)
    manifests = load_manifests([tmp_path])
    assert [f.id for f in manifests.findings if f.id.startswith("invalid")] == []


def test_a_templates_directory_outside_a_chart_is_read(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "plain.yaml").write_text(PLAIN)
    manifests = load_manifests([tmp_path])
    assert [w.key for w in manifests.workloads] == ["Deployment/default/plain"]


def test_an_unreadable_directory_is_a_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "plain.yaml").write_text(PLAIN)
    (tmp_path / "locked").mkdir()
    real = os.scandir

    def scandir(path: Any) -> Any:
        # The failure a directory without read permission gives (tests may run as root).
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    manifests = load_manifests([tmp_path])
    assert [w.key for w in manifests.workloads] == ["Deployment/default/plain"]
    (found,) = [f for f in manifests.findings if f.id == "unreadable-directory"]
    assert found.message == (
        f"{tmp_path / 'locked'}: cannot be listed (permission denied or I/O error); "
        "archfit read the rest of the tree without it"
    )
