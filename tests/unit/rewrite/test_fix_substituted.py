"""`fix` on files Flux substitutes: the `${VAR}` text is kept exactly; an edit that would replace
it is refused with a note."""

from __future__ import annotations

from pathlib import Path

import yaml
from tests.unit.rewrite._support import fixed_check

from archfit.manifests.helm.release import CHART_PLACEMENT_VALUES, RELEASE
from archfit.manifests.rewrite.chartvalues import rendered_chart_edits
from archfit.manifests.rewrite.copies import WorkloadFix
from archfit.manifests.rewrite.variables import apply_keeping_variables
from archfit.model.placement import Placement
from archfit.model.pod import PodTemplate
from archfit.model.workload import SourceRef, Workload
from archfit.usecases.fix import run_fix

RENAME = Placement(renamed_keys=(("beta.kubernetes.io/arch", "kubernetes.io/arch"),))

KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: web, namespace: flux-system}
spec:
  path: ./apps/web
  postBuild:
    substitute: {APP: web, REPLICAS: "2", TAG: "1.27.0", ARCH: amd64}
"""

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${APP}  # the document is found by its line, not by this name
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: "nginx:${TAG}"  # pinned by the cluster's settings
"""


def _tree(tmp_path: Path, web: str) -> Path:
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "apps.yaml").write_text(KS)
    (tmp_path / "apps" / "web").mkdir(parents=True)
    target = tmp_path / "apps" / "web" / "deployment.yaml"
    target.write_text(web)
    return target


def test_the_edit_goes_around_the_variables(tmp_path: Path) -> None:
    target = _tree(tmp_path, WEB)
    run_fix([tmp_path], check=fixed_check())
    text = target.read_text()
    assert "  name: ${APP}  # the document is found by its line, not by this name\n" in text
    assert "  replicas: ${REPLICAS}\n" in text
    assert '          image: "nginx:${TAG}"  # pinned by the cluster\'s settings\n' in text
    remaining = iter(text.splitlines())
    assert all(line in remaining for line in WEB.splitlines())  # every line kept, in order
    spec = yaml.safe_load(text)["spec"]["template"]["spec"]
    required = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert required == {
        "nodeSelectorTerms": [
            {
                "matchExpressions": [
                    {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
                ]
            }
        ]
    }


DUPLICATE = WEB.replace(
    "    spec:\n      containers:",
    "    spec:\n"
    '      nodeSelector: {beta.kubernetes.io/arch: "${ARCH}", kubernetes.io/arch: "${ARCH}"}\n'
    "      containers:",
)


def test_an_edit_that_would_drop_a_variable_is_refused(tmp_path: Path) -> None:
    target = _tree(tmp_path, DUPLICATE)
    outcome = run_fix([tmp_path], check=fixed_check(RENAME))
    assert target.read_text() == DUPLICATE
    assert any(
        "Deployment/default/web: not edited: the placement would replace '${ARCH}'" in note
        for note in outcome.notes
    ), outcome.notes


def test_keeping_variables_allows_a_rename_in_place() -> None:
    spec = {"nodeSelector": {"beta.kubernetes.io/arch": "${ARCH}"}}
    assert apply_keeping_variables(spec, RENAME) == (True, None)
    assert spec == {"nodeSelector": {"kubernetes.io/arch": "${ARCH}"}}


def test_keeping_variables_refuses_and_leaves_the_target_alone() -> None:
    spec = {"nodeSelector": {"beta.kubernetes.io/arch": "${A}", "kubernetes.io/arch": "${A}"}}
    before = repr(spec)
    changed, refused = apply_keeping_variables(spec, RENAME)
    assert (changed, refused) == (False, "'${A}' at nodeSelector.beta.kubernetes.io/arch")
    assert repr(spec) == before


def test_a_rendered_charts_values_keep_their_variables() -> None:
    web = Workload(
        kind="Deployment",
        namespace="default",
        name="web",
        template=PodTemplate(containers=()),
        source=SourceRef("charts/web/values.yaml", 1),
        annotations={CHART_PLACEMENT_VALUES: "affinity,nodeSelector", RELEASE: "default/web"},
    )
    values = {"nodeSelector": {"beta.kubernetes.io/arch": "${A}", "kubernetes.io/arch": "${A}"}}
    before = repr(values)
    fix = WorkloadFix(web, RENAME)
    notes: list[str] = []
    assert rendered_chart_edits(values, (), [fix], [fix], notes) == []
    assert repr(values) == before
    assert notes == [
        "default/web: not edited: the placement would replace '${A}' at "
        "nodeSelector.beta.kubernetes.io/arch, a substitution variable; add the placement by hand"
    ]
