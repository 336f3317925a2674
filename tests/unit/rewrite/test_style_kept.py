"""`fix` writes in the file's own style: flow where the collection it adds to is flow (on one line
or one entry per line), block with the document's indentation where it is block, JSON in a JSON
file; the file's line ends, byte-order mark and last line stay as they were. Expected texts are
written by hand."""

from __future__ import annotations

import json

import pytest

from archfit.manifests.rewrite.placement import apply_placement
from archfit.manifests.rewrite.yamlrt import YamlFile
from archfit.model.placement import Placement
from archfit.model.selectors import NodeSelectorRequirement

ARCH = Placement(required=(NodeSelectorRequirement("kubernetes.io/arch", "In", ("amd64",)),))

FLOW_AFFINITY = (
    "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
    "{nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/arch, operator: In, "
    "values: [amd64]}]}]}}}"
)


def _fixed(text: str, *, index: int = 0, json_file: bool = False) -> str:
    yfile = YamlFile.parse(text, json=json_file)
    spec = yfile.document(index)["spec"]["template"]["spec"]
    assert apply_placement(spec, ARCH)
    yfile.mark_changed(index)
    assert yfile.refused == []
    return yfile.text()


def test_flow_pod_spec_on_one_line_gets_a_flow_affinity() -> None:
    text = (
        "kind: Deployment\n"
        "spec: {template: {spec: {containers: [{ name: a, image: nginx }]}}}  # kept\n"
    )
    assert _fixed(text) == (
        "kind: Deployment\n"
        "spec: {template: {spec: {containers: [{ name: a, image: nginx }], "
        + FLOW_AFFINITY
        + "}}}  # kept\n"
    )


def test_flow_mapping_one_entry_per_line_gets_an_entry_line() -> None:
    text = (
        "kind: Deployment\n"
        "spec:\n"
        "  template:\n"
        "    spec: {\n"
        "      containers: [{name: a, image: nginx}],  # the app\n"
        "      hostNetwork: true\n"
        "    }\n"
    )
    assert _fixed(text) == (
        "kind: Deployment\n"
        "spec:\n"
        "  template:\n"
        "    spec: {\n"
        "      containers: [{name: a, image: nginx}],  # the app\n"
        "      hostNetwork: true,\n"
        "      " + FLOW_AFFINITY + "\n"
        "    }\n"
    )


def test_empty_flow_affinity_inside_flow_stays_flow() -> None:
    text = "kind: Deployment\nspec: {template: {spec: {containers: [], affinity: {}}}}\n"
    assert _fixed(text) == (
        "kind: Deployment\nspec: {template: {spec: {containers: [], " + FLOW_AFFINITY + "}}}\n"
    )


def test_file_quoting_with_double_quotes_gets_double_quotes_in_flow() -> None:
    placement = Placement(required=(NodeSelectorRequirement("gpu", "In", ("true",)),))
    text = 'kind: Deployment\nspec: {template: {spec: {containers: [{name: "a"}]}}}\n'
    yfile = YamlFile.parse(text)
    assert apply_placement(yfile.document(0)["spec"]["template"]["spec"], placement)
    yfile.mark_changed(0)
    assert yfile.text() == (
        'kind: Deployment\nspec: {template: {spec: {containers: [{name: "a"}], '
        "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
        '{nodeSelectorTerms: [{matchExpressions: [{key: gpu, operator: In, values: ["true"]}]}]}'
        "}}}}}\n"
    )


def test_block_pod_spec_with_flow_siblings_gets_a_block() -> None:
    text = (
        "kind: Deployment\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      tolerations: [{key: a, operator: Exists}]\n"
        "      containers: [{name: a, image: nginx}]\n"
    )
    assert _fixed(text) == text + (
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


def test_each_document_keeps_its_own_indentation() -> None:
    first = "kind: ConfigMap\nmetadata:\n  name: two-spaces\ndata:\n  list:\n  - zero-offset\n"
    second = (
        "kind: Deployment\n"
        "spec:\n"
        "    template:\n"
        "        spec:\n"
        "            containers:\n"
        "              - name: a\n"
        "                image: nginx\n"
    )
    out = _fixed(first + "---\n" + second, index=1)
    assert out == first + "---\n" + second + (
        "            affinity:\n"
        "                nodeAffinity:\n"
        "                    requiredDuringSchedulingIgnoredDuringExecution:\n"
        "                        nodeSelectorTerms:\n"
        "                          - matchExpressions:\n"
        "                              - key: kubernetes.io/arch\n"
        "                                operator: In\n"
        "                                values:\n"
        "                                  - amd64\n"
    )


BLOCK = (
    "kind: Deployment\n"
    "spec:\n"
    "  template:\n"
    "    spec:\n"
    "      containers:\n"
    "      - name: a\n"
    "        image: nginx\n"
)
BLOCK_AFFINITY = (
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


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            BLOCK.replace("\n", "\r\n"), (BLOCK + BLOCK_AFFINITY).replace("\n", "\r\n"), id="crlf"
        ),
        pytest.param(BLOCK.rstrip("\n"), (BLOCK + BLOCK_AFFINITY).rstrip("\n"), id="no-final-eol"),
        pytest.param("\ufeff" + BLOCK, "\ufeff" + BLOCK + BLOCK_AFFINITY, id="bom"),
        pytest.param(
            "\ufeff" + BLOCK.rstrip("\n").replace("\n", "\r\n"),
            "\ufeff" + (BLOCK + BLOCK_AFFINITY).rstrip("\n").replace("\n", "\r\n"),
            id="all-three",
        ),
    ],
)
def test_line_ends_bom_and_last_line_are_kept(before: str, after: str) -> None:
    assert _fixed(before).encode() == after.encode()


def test_a_long_line_is_never_wrapped() -> None:
    long_value = " ".join(["word"] * 40)  # 199 characters, with spaces ruamel could fold at
    line = f"        args: [--motd, {long_value}]\n"
    assert len(line) > 200
    text = BLOCK + line + "        command:\n        - " + long_value + "\n"
    out = _fixed(text)
    assert out == text + BLOCK_AFFINITY


MULTI = (
    "%YAML 1.2\n"
    "---\n"
    "# the first document\n"
    "kind: ConfigMap\n"
    "data: {a: '1'}   # odd spacing kept\n"
    "...\n"
    "---\n"
    "\n"
    "kind: Deployment\n"
    "spec:\n"
    "  template:\n"
    "    spec:\n"
    "      containers:\n"
    "      - name: a   # comment\n"
    "\n"
    "        image: nginx\n"
    "...\n"
    "# between documents\n"
    "---\n"
    "kind: Service\n"
    "spec: {ports: [{port: 80}]}\n"
)


def test_multi_document_only_the_target_changes_byte_for_byte() -> None:
    out = _fixed(MULTI, index=1)
    split_at = MULTI.index("...\n# between")
    # Everything before the end of the edited pod spec and everything after it: the same bytes.
    assert out.encode() == (
        MULTI[:split_at].encode() + BLOCK_AFFINITY.encode() + MULTI[split_at:].encode()
    )


JSON_2 = """\
{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "spec": {
    "template": {
      "spec": {
        "containers": [{"name": "a", "image": "nginx"}]
      }
    }
  }
}
"""


def test_json_file_gets_json_with_its_indentation() -> None:
    out = _fixed(JSON_2, json_file=True)
    assert out == JSON_2.replace(
        '"image": "nginx"}]\n',
        '"image": "nginx"}],\n'
        '        "affinity": {\n'
        '          "nodeAffinity": {\n'
        '            "requiredDuringSchedulingIgnoredDuringExecution": {\n'
        '              "nodeSelectorTerms": [\n'
        "                {\n"
        '                  "matchExpressions": [\n'
        "                    {\n"
        '                      "key": "kubernetes.io/arch",\n'
        '                      "operator": "In",\n'
        '                      "values": [\n'
        '                        "amd64"\n'
        "                      ]\n"
        "                    }\n"
        "                  ]\n"
        "                }\n"
        "              ]\n"
        "            }\n"
        "          }\n"
        "        }\n",
    )
    assert json.loads(out)["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]


def test_json_on_one_line_stays_on_one_line() -> None:
    text = '{"kind": "Deployment", "spec": {"template": {"spec": {"containers": []}}}}'
    out = _fixed(text, json_file=True)
    assert out == (
        '{"kind": "Deployment", "spec": {"template": {"spec": {"containers": [], '
        '"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": '
        '{"nodeSelectorTerms": [{"matchExpressions": [{"key": "kubernetes.io/arch", '
        '"operator": "In", "values": ["amd64"]}]}]}}}}}}}'
    )


def test_json_empty_object_is_expanded_at_the_files_indentation() -> None:
    text = '{\n    "spec": {\n        "template": {\n            "spec": {}\n        }\n    }\n}\n'
    out = _fixed(text, json_file=True)
    assert out.startswith(
        '{\n    "spec": {\n        "template": {\n            "spec": {\n'
        '                "affinity": {\n'
        '                    "nodeAffinity": {\n'
    )
    assert out.endswith("            }\n        }\n    }\n}\n")
    assert json.loads(out)["spec"]["template"]["spec"]["affinity"]


def test_json_key_renamed_in_place() -> None:
    text = (
        '{\n  "spec": {\n    "nodeSelector": {"beta.kubernetes.io/arch": "amd64", "a": "b"}\n'
        "  }\n}\n"
    )
    yfile = YamlFile.parse(text, json=True)
    rename = Placement(renamed_keys=(("beta.kubernetes.io/arch", "kubernetes.io/arch"),))
    assert apply_placement(yfile.document(0)["spec"], rename)
    yfile.mark_changed(0)
    assert yfile.text() == text.replace('"beta.kubernetes.io/arch"', '"kubernetes.io/arch"')


def test_json_edit_that_cannot_be_spliced_is_refused() -> None:
    """The deprecated key goes where its successor already says the same: a removal, which is
    not written into JSON text, so the file is left alone and the refusal named."""
    text = (
        '{"spec": {"nodeSelector": {"beta.kubernetes.io/arch": "amd64", '
        '"kubernetes.io/arch": "amd64"}}}\n'
    )
    yfile = YamlFile.parse(text, json=True)
    rename = Placement(renamed_keys=(("beta.kubernetes.io/arch", "kubernetes.io/arch"),))
    assert apply_placement(yfile.document(0)["spec"], rename)
    yfile.mark_changed(0)
    assert yfile.text() == text
    assert yfile.refused == ["document 1: the edit cannot be written as JSON in this file's layout"]


def test_json_expression_key_renamed_in_place() -> None:
    text = (
        '{"spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":'
        ' {"nodeSelectorTerms": [{"matchExpressions": [{"key": "beta.kubernetes.io/arch",'
        ' "operator": "In", "values": ["arm64"]}]}]}}}}}\n'
    )
    yfile = YamlFile.parse(text, json=True)
    rename = Placement(renamed_keys=(("beta.kubernetes.io/arch", "kubernetes.io/arch"),))
    assert apply_placement(yfile.document(0)["spec"], rename)
    yfile.mark_changed(0)
    assert yfile.text() == text.replace('"beta.kubernetes.io/arch"', '"kubernetes.io/arch"')
    assert yfile.refused == []


def test_comment_after_the_last_flow_entry_stays_on_its_line() -> None:
    text = (
        "kind: Deployment\n"
        "spec:\n"
        "  template:\n"
        "    spec: {\n"
        "      containers: [{name: a, image: nginx}],\n"
        "      hostNetwork: true  # the router needs it\n"
        "    }\n"
    )
    assert _fixed(text) == (
        "kind: Deployment\n"
        "spec:\n"
        "  template:\n"
        "    spec: {\n"
        "      containers: [{name: a, image: nginx}],\n"
        "      hostNetwork: true,  # the router needs it\n"
        "      " + FLOW_AFFINITY + "\n"
        "    }\n"
    )


def test_trailing_commas_are_kept() -> None:
    one_line = "kind: Deployment\nspec: {template: {spec: {containers: [], }}}\n"
    assert _fixed(one_line) == (
        "kind: Deployment\nspec: {template: {spec: {containers: [], " + FLOW_AFFINITY + ", }}}\n"
    )
    per_line = "kind: Deployment\nspec: {template: {spec: {\n  containers: [],\n}}}\n"
    assert _fixed(per_line) == (
        "kind: Deployment\n"
        "spec: {template: {spec: {\n"
        "  containers: [],\n"
        "  " + FLOW_AFFINITY + ",\n"
        "}}}\n"
    )


def test_flow_pod_spec_followed_by_more_entries_on_its_line() -> None:
    text = "kind: Deployment\nspec: {template: {spec: {containers: []}, x: 1}, replicas: 1}\n"
    assert _fixed(text) == (
        "kind: Deployment\nspec: {template: {spec: {containers: [], "
        + FLOW_AFFINITY
        + "}, x: 1}, replicas: 1}\n"
    )


def test_directive_and_document_end_around_the_edited_document_stay() -> None:
    text = "%YAML 1.2\n%TAG !k! tag:k8s.invalid,2024:\n--- # the app\n" + BLOCK + "...\n"
    assert (
        _fixed(text).encode()
        == (
            "%YAML 1.2\n%TAG !k! tag:k8s.invalid,2024:\n--- # the app\n"
            + BLOCK
            + BLOCK_AFFINITY
            + "...\n"
        ).encode()
    )


TERMS = (
    "kind: Deployment\n"
    "spec:\n"
    "  template:\n"
    "    spec:\n"
    "      affinity:\n"
    "        nodeAffinity:\n"
    "          requiredDuringSchedulingIgnoredDuringExecution:\n"
    "            nodeSelectorTerms:\n"
    "            - matchExpressions:\n"
    "              -   {key: disktype,\n"
    "                   operator: In, values: [ssd]}\n"
    "      containers: [ {name: a} ]\n"
)


def test_new_item_of_a_block_sequence_goes_after_its_last_item() -> None:
    """ruamel would rewrite both neighbours of the new item (the two-line flow mapping, the
    spaced flow sequence): the item is written after the last one instead, dash and content
    at the columns of the first item."""
    assert _fixed(TERMS) == TERMS.replace(
        "operator: In, values: [ssd]}\n",
        "operator: In, values: [ssd]}\n"
        "              -   key: kubernetes.io/arch\n"
        "                  operator: In\n"
        "                  values:\n"
        "                  - amd64\n",
    )
