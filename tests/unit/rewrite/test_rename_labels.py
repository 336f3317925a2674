"""`fix` renames a deprecated label key where the pod selects by it: same position, same value,
same style; nothing is added beside it. What it adds is quoted as the file quotes."""

from __future__ import annotations

from archfit.manifests.rewrite.placement import apply_placement, placement_patch
from archfit.manifests.rewrite.yamlrt import YamlFile
from archfit.model.placement import Placement
from archfit.model.selectors import NodeSelectorRequirement

RENAME = Placement(renamed_keys=(("beta.kubernetes.io/arch", "kubernetes.io/arch"),))


def _fixed(text: str) -> str:
    yfile = YamlFile.parse(text)
    assert apply_placement(yfile.document(0)["spec"], RENAME)
    yfile.mark_changed(0)
    return yfile.text()


def test_block_node_selector_keeps_position_and_comments() -> None:
    text = (
        "kind: Pod\n"
        "spec:\n"
        "  nodeSelector:\n"
        "    disktype: ssd\n"
        '    beta.kubernetes.io/arch: "amd64"  # the NAS\n'
        "    zone: attic\n"
        "  containers:\n"
        "    - {name: a, image: nginx}\n"
    )
    assert _fixed(text) == text.replace("beta.kubernetes.io/arch", "kubernetes.io/arch")


def test_flow_node_selector_stays_flow() -> None:
    text = (
        "kind: Pod\n"
        "spec:\n"
        "  nodeSelector: {beta.kubernetes.io/arch: arm64, zone: attic}\n"
        "  containers: [{name: a, image: nginx}]\n"
    )
    assert _fixed(text) == (
        "kind: Pod\n"
        "spec:\n"
        "  nodeSelector: {kubernetes.io/arch: arm64, zone: attic}\n"
        "  containers: [{name: a, image: nginx}]\n"
    )


def test_affinity_expression_key_is_renamed() -> None:
    text = (
        "kind: Pod\n"
        "spec:\n"
        "  affinity:\n"
        "    nodeAffinity:\n"
        "      requiredDuringSchedulingIgnoredDuringExecution:\n"
        "        nodeSelectorTerms:\n"
        "          - matchExpressions:\n"
        "              - key: beta.kubernetes.io/arch\n"
        "                operator: In\n"
        "                values: [amd64, arm64]\n"
        "  containers: [{name: a, image: nginx}]\n"
    )
    assert _fixed(text) == text.replace("beta.kubernetes.io/arch", "kubernetes.io/arch")


def test_successor_already_present_with_the_same_value() -> None:
    spec = {"nodeSelector": {"beta.kubernetes.io/arch": "amd64", "kubernetes.io/arch": "amd64"}}
    assert apply_placement(spec, RENAME)
    assert spec == {"nodeSelector": {"kubernetes.io/arch": "amd64"}}


def test_json_patch_replaces_the_selector() -> None:
    doc = {"spec": {"nodeSelector": {"a": "1", "beta.kubernetes.io/arch": "amd64", "b": "2"}}}
    ops = placement_patch(doc, ("spec",), RENAME)
    assert ops == [
        {
            "op": "replace",
            "path": "/spec/nodeSelector",
            "value": {"a": "1", "kubernetes.io/arch": "amd64", "b": "2"},
        }
    ]
    assert list(ops[0]["value"]) == ["a", "kubernetes.io/arch", "b"]


GPU = Placement(
    required=(
        NodeSelectorRequirement(
            "feature.node.kubernetes.io/pci-0300_8086.present", "In", ("true",)
        ),
    )
)
POD = (
    "kind: Pod\n"
    "spec:\n"
    "  containers:\n"
    "    - name: a\n"
    "      image: {quote}nginx:1.27{quote}\n"
    "      resources: {{requests: {{cpu: {quote}1{quote}}}}}\n"
)


def _added_value(text: str) -> str:
    yfile = YamlFile.parse(text)
    assert apply_placement(yfile.document(0)["spec"], GPU)
    yfile.mark_changed(0)
    (line,) = [ln for ln in yfile.text().splitlines() if "true" in ln]
    return line.strip()


def test_new_values_take_the_files_quote_style() -> None:
    assert _added_value(POD.format(quote='"')) == '- "true"'
    assert _added_value(POD.format(quote="'")) == "- 'true'"
