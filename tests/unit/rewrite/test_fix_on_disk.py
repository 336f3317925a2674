"""`fix` on files on disk: anchors shared by several workloads are never edited behind the user's
back, List items are edited in place, chart values in flow style get flow style, and the
`--dry-run` diff and the file written keep CRLF line ends. Expected texts are written by hand."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from tests.unit.rewrite._support import fixed_check

from archfit.model.placement import Placement
from archfit.model.selectors import NodeSelectorRequirement
from archfit.usecases.fix import run_fix

ARCH = Placement(required=(NodeSelectorRequirement("kubernetes.io/arch", "In", ("amd64",)),))


def test_an_aliased_pod_spec_is_refused_and_left_alone(tmp_path: Path) -> None:
    """`one` and `two` are one pod spec (anchors live within one YAML document, so the two
    workloads are items of one List): an affinity for `one` would land on `two` as well."""
    path = tmp_path / "apps.yaml"
    text = (
        "apiVersion: v1\n"
        "kind: List\n"
        "items:\n"
        "- apiVersion: apps/v1\n"
        "  kind: Deployment\n"
        "  metadata: {name: one}\n"
        "  spec:\n"
        "    template:\n"
        "      spec: &spec\n"
        "        containers:\n"
        "        - name: app\n"
        "          image: nginx\n"
        "- apiVersion: apps/v1\n"
        "  kind: Deployment\n"
        "  metadata: {name: two}\n"
        "  spec:\n"
        "    template:\n"
        "      spec: *spec\n"
    )
    path.write_text(text)
    outcome = run_fix([path], check=fixed_check(ARCH))
    assert outcome.files == {}
    assert path.read_text() == text
    assert (
        "Deployment/default/one: items.0.spec.template.spec is the anchored node &spec, which "
        "the file also uses elsewhere; not edited (the edit would change every workload using "
        "it), add the placement by hand"
    ) in outcome.notes
    assert any(
        n.startswith("Deployment/default/two: items.1.spec.template.spec is the anchored")
        for n in outcome.notes
    )


def test_merge_key_gets_an_affinity_of_its_own(tmp_path: Path) -> None:
    """Adding a key to a mapping that merges a shared one changes only that mapping."""
    text = (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata: {name: web}\n"
        "x-base: &base\n"
        "  containers:\n"
        "  - name: app\n"
        "    image: nginx\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      <<: *base\n"
        "      hostNetwork: true\n"
    )
    path = tmp_path / "web.yaml"
    path.write_text(text)
    run_fix([path], check=fixed_check(ARCH))
    assert path.read_text() == text + (
        "      affinity:\n"
        "        nodeAffinity:\n"
        "          requiredDuringSchedulingIgnoredDuringExecution:\n"
        "            nodeSelectorTerms:\n"
        "            - matchExpressions:\n"
        "              - key: kubernetes.io/arch\n"
        "                operator: In\n"
        "                values:\n"
        "                - amd64\n"
    )


def test_a_merged_affinity_is_refused(tmp_path: Path) -> None:
    """The affinity comes from the shared `&base`: extending it would extend every user's."""
    text = (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata: {name: web}\n"
        "x-base: &base\n"
        "  affinity:\n"
        "    nodeAffinity:\n"
        "      preferredDuringSchedulingIgnoredDuringExecution:\n"
        "      - weight: 1\n"
        "        preference: {matchExpressions: [{key: zone, operator: In, values: [attic]}]}\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      <<: *base\n"
        "      containers: [{name: app, image: nginx}]\n"
    )
    path = tmp_path / "web.yaml"
    path.write_text(text)
    outcome = run_fix([path], check=fixed_check(ARCH))
    assert path.read_text() == text
    assert outcome.notes == (
        "Deployment/default/web: its affinity comes from a `<<` merge of a node other workloads "
        "share; not edited (the edit would change every workload using it), add the placement "
        "by hand",
    )


def test_an_anchor_nobody_aliases_is_edited(tmp_path: Path) -> None:
    text = (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata: {name: web}\n"
        "spec:\n"
        "  template:\n"
        "    spec: &only\n"
        "      containers: [{name: app, image: nginx}]\n"
    )
    path = tmp_path / "web.yaml"
    path.write_text(text)
    outcome = run_fix([path], check=fixed_check(ARCH))
    assert outcome.written == ("Deployment/default/web → " + str(path) + " (pod template)",)
    assert "      affinity:\n" in path.read_text()


def test_list_items_are_edited_where_they_are(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\n"
        "kind: List\n"
        "items:\n"
        "- apiVersion: apps/v1\n"
        "  kind: Deployment\n"
        "  metadata: {name: one}\n"
        "  spec: {template: {spec: {containers: [{name: a, image: nginx}]}}}\n"
    )
    path = tmp_path / "list.yaml"
    path.write_text(text)
    run_fix([path], check=fixed_check(ARCH))
    assert path.read_text() == text.replace(
        "image: nginx}]",
        "image: nginx}], affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
        "{nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/arch, operator: In, "
        "values: [amd64]}]}]}}}",
    )


def test_flow_chart_values_get_a_flow_affinity(tmp_path: Path) -> None:
    text = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\n"
        "kind: HelmRelease\n"
        "metadata: {name: metrics-server, namespace: kube-system}\n"
        "spec:\n"
        "  chart: {spec: {chart: metrics-server, version: 3.12.2, "
        "sourceRef: {kind: HelmRepository, name: ms}}}\n"
        "  values: {\n"
        "    image: {repository: registry.k8s.io/metrics-server/metrics-server, tag: v0.7.2},\n"
        "    args: [--kubelet-insecure-tls]\n"
        "  }\n"
    )
    path = tmp_path / "release.yaml"
    path.write_text(text)
    outcome = run_fix([path], check=fixed_check(ARCH))
    assert outcome.files
    assert path.read_text() == text.replace(
        "    args: [--kubelet-insecure-tls]\n",
        "    args: [--kubelet-insecure-tls],\n"
        "    affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
        "{nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/arch, operator: In, "
        "values: [amd64]}]}]}}}\n",
    )


def test_dry_run_diff_and_written_file_keep_crlf(tmp_path: Path) -> None:
    text = (
        "apiVersion: apps/v1\r\n"
        "kind: Deployment\r\n"
        "metadata: {name: web}\r\n"
        "spec:\r\n"
        "  template:\r\n"
        "    spec: {\r\n"
        "      containers: [{name: app, image: nginx}]\r\n"
        "    }\r\n"
    )
    path = tmp_path / "web.yaml"
    path.write_bytes(text.encode())
    outcome = run_fix([path], dry_run=True, check=fixed_check(ARCH))
    name = str(path).lstrip("/")
    assert outcome.diff == (
        f"--- a/{name}\n"
        f"+++ b/{name}\n"
        "@@ -4,5 +4,6 @@\n"
        " spec:\r\n"
        "   template:\r\n"
        "     spec: {\r\n"
        "-      containers: [{name: app, image: nginx}]\r\n"
        "+      containers: [{name: app, image: nginx}],\r\n"
        "+      affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
        "{nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/arch, operator: In, "
        "values: [amd64]}]}]}}}\r\n"
        "     }\r\n"
    )
    assert path.read_bytes() == text.encode()
    run_fix([path], check=fixed_check(ARCH))
    written = path.read_bytes()
    assert written.count(b"\r\n") == written.count(b"\n") == 9


def test_app_template_pod_options_shared_by_an_alias_are_refused(tmp_path: Path) -> None:
    """Only `web` needs a placement, so it would go into `web`'s own pod options, which are the
    anchored node `worker` uses too."""
    from collections.abc import Sequence

    from tests.unit.rewrite._support import finding_for

    from archfit.model.check import CheckReport, WorkloadVerdict
    from archfit.sources import load_manifests

    def check(paths: Sequence[Path]) -> CheckReport:
        return CheckReport(
            workloads=tuple(
                WorkloadVerdict(w, placement=ARCH, findings=(finding_for(w.key),))
                if w.name.endswith("web")
                else WorkloadVerdict(w)
                for w in load_manifests(list(paths)).workloads
            )
        )

    text = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\n"
        "kind: HelmRelease\n"
        "metadata: {name: paperless, namespace: docs}\n"
        "spec:\n"
        "  chart:\n"
        "    spec:\n"
        "      chart: app-template\n"
        "      version: 3.5.1\n"
        "      sourceRef: {kind: HelmRepository, name: bjw-s}\n"
        "  values:\n"
        "    controllers:\n"
        "      web:\n"
        "        pod: &pod\n"
        "          nodeSelector: {zone: attic}\n"
        "        containers:\n"
        "          app:\n"
        "            image: {repository: ghcr.io/paperless-ngx/paperless-ngx, tag: 2.11.0}\n"
        "      worker:\n"
        "        pod: *pod\n"
        "        containers:\n"
        "          app:\n"
        "            image: {repository: ghcr.io/paperless-ngx/paperless-ngx, tag: 2.11.0}\n"
    )
    path = tmp_path / "release.yaml"
    path.write_text(text)
    outcome = run_fix([path], check=check)
    assert path.read_text() == text
    assert outcome.files == {}
    (note,) = outcome.notes
    assert note.endswith(
        ": controllers.web.pod is the anchored node &pod, which the file also uses elsewhere; "
        "not edited (the edit would change every workload using it), add the placement by hand"
    )


def test_json_manifest_dry_run_diff_and_write(tmp_path: Path) -> None:
    text = (
        "{\n"
        '    "apiVersion": "apps/v1",\n'
        '    "kind": "Deployment",\n'
        '    "metadata": {"name": "web"},\n'
        '    "spec": {"template": {"spec": {\n'
        '        "containers": [{"name": "web", "image": "nginx"}]\n'
        "    }}}\n"
        "}\n"
    )
    path = tmp_path / "web.json"
    path.write_text(text)
    outcome = run_fix([path], dry_run=True, check=fixed_check(ARCH))
    name = str(path).lstrip("/")
    assert outcome.diff == (
        f"--- a/{name}\n"
        f"+++ b/{name}\n"
        "@@ -3,6 +3,25 @@\n"
        '     "kind": "Deployment",\n'
        '     "metadata": {"name": "web"},\n'
        '     "spec": {"template": {"spec": {\n'
        '-        "containers": [{"name": "web", "image": "nginx"}]\n'
        '+        "containers": [{"name": "web", "image": "nginx"}],\n'
        '+        "affinity": {\n'
        '+            "nodeAffinity": {\n'
        '+                "requiredDuringSchedulingIgnoredDuringExecution": {\n'
        '+                    "nodeSelectorTerms": [\n'
        "+                        {\n"
        '+                            "matchExpressions": [\n'
        "+                                {\n"
        '+                                    "key": "kubernetes.io/arch",\n'
        '+                                    "operator": "In",\n'
        '+                                    "values": [\n'
        '+                                        "amd64"\n'
        "+                                    ]\n"
        "+                                }\n"
        "+                            ]\n"
        "+                        }\n"
        "+                    ]\n"
        "+                }\n"
        "+            }\n"
        "+        }\n"
        "     }}}\n"
        " }\n"
    )
    assert path.read_text() == text
    run_fix([path], check=fixed_check(ARCH))
    assert json.loads(path.read_text())["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]
    assert run_fix([path], check=fixed_check(ARCH)).files == {}


def test_overlay_patch_is_indented_as_the_base(tmp_path: Path) -> None:
    base = tmp_path / "base"
    overlay = tmp_path / "overlays" / "home"
    base.mkdir()
    overlay.mkdir(parents=True)
    (base / "kustomization.yaml").write_text("resources:\n- deployment.yaml\n")
    (base / "deployment.yaml").write_text(
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "    name: web\n"
        "spec:\n"
        "    template:\n"
        "        spec:\n"
        "            containers:\n"
        "            - name: web\n"
        "              image: nginx\n"
    )
    (overlay / "kustomization.yaml").write_text("resources:\n- ../../base\n")
    run_fix([overlay], check=fixed_check(ARCH))
    assert (overlay / "archfit-placement-deployment-web.yaml").read_text() == (
        "# Written by `archfit fix`: node placement for a base outside this repository path.\n"
        "---\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "    name: web\n"
        "spec:\n"
        "    template:\n"
        "        spec:\n"
        "            affinity:\n"
        "                nodeAffinity:\n"
        "                    requiredDuringSchedulingIgnoredDuringExecution:\n"
        "                        nodeSelectorTerms:\n"
        "                        - matchExpressions:\n"
        "                          - key: kubernetes.io/arch\n"
        "                            operator: In\n"
        "                            values:\n"
        "                            - amd64\n"
    )
    assert (overlay / "kustomization.yaml").read_text() == (
        "resources:\n- ../../base\npatches:\n- path: archfit-placement-deployment-web.yaml\n"
    )


def test_flow_kustomization_lists_the_patch_in_flow(tmp_path: Path) -> None:
    base = tmp_path / "base"
    overlay = tmp_path / "overlays" / "home"
    base.mkdir()
    overlay.mkdir(parents=True)
    (base / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    (base / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
        "spec: {template: {spec: {containers: [{name: web, image: nginx}]}}}\n"
    )
    (overlay / "kustomization.yaml").write_text("{resources: [../../base]}  # home\n")
    run_fix([overlay], check=fixed_check(ARCH))
    assert (overlay / "kustomization.yaml").read_text() == (
        "{resources: [../../base], patches: [{path: archfit-placement-deployment-web.yaml}]}"
        "  # home\n"
    )
    # A new file: block, at the indentation the base would show (none here: the default).
    assert (
        (overlay / "archfit-placement-deployment-web.yaml")
        .read_text()
        .endswith(
            "---\n"
            "apiVersion: apps/v1\n"
            "kind: Deployment\n"
            "metadata:\n"
            "  name: web\n"
            "spec:\n"
            "  template:\n"
            "    spec:\n"
            "      affinity:\n"
            "        nodeAffinity:\n"
            "          requiredDuringSchedulingIgnoredDuringExecution:\n"
            "            nodeSelectorTerms:\n"
            "              - matchExpressions:\n"
            "                  - key: kubernetes.io/arch\n"
            "                    operator: In\n"
            "                    values:\n"
            "                      - amd64\n"
        )
    )


def test_a_document_written_out_whole_is_named(tmp_path: Path) -> None:
    """A comment after the first item's dash leaves no column to write the new item at, and
    ruamel rewrites both its neighbours: the document is emitted whole, and the user is told."""
    text = (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata: {name: web}\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      affinity:\n"
        "        nodeAffinity:\n"
        "          requiredDuringSchedulingIgnoredDuringExecution:\n"
        "            nodeSelectorTerms:\n"
        "            - matchExpressions:\n"
        "              - # disk\n"
        "                key: disktype\n"
        "                operator: In\n"
        "                values: [ssd,\n"
        "                  hdd]\n"
        "      containers: [ {name: app, image: nginx} ]\n"
    )
    path = tmp_path / "web.yaml"
    path.write_text(text)
    outcome = run_fix([path], check=fixed_check(ARCH))
    assert outcome.notes == (
        f"{path}: document 1 was written out whole, its layout could not be kept line for line; "
        "check the diff",
    )
    term = yaml.safe_load(path.read_text())["spec"]["template"]["spec"]["affinity"]
    assert term["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [
            {
                "matchExpressions": [
                    {"key": "disktype", "operator": "In", "values": ["ssd", "hdd"]},
                    {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                ]
            }
        ]
    }


def test_json_with_a_byte_order_mark_and_crlf(tmp_path: Path) -> None:
    text = '{"kind": "Deployment", "metadata": {"name": "web"}, "apiVersion": "apps/v1",\r\n'
    text += ' "spec": {"template": {"spec": {"containers": []}}}}\r\n'
    path = tmp_path / "web.json"
    path.write_bytes(("\ufeff" + text).encode())
    run_fix([path], check=fixed_check(ARCH))
    written = path.read_bytes()
    assert written.startswith("\ufeff".encode())
    assert written.count(b"\r\n") == written.count(b"\n") == 2
    assert json.loads(written.decode("utf-8-sig"))["spec"]["template"]["spec"]["affinity"]
