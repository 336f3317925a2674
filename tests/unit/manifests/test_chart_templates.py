"""Files inside a Helm chart's `templates/` are Go templates, never read as plain manifests."""

from __future__ import annotations

from pathlib import Path

from archfit.manifests import load_manifests

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
