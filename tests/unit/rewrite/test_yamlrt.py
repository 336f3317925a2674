"""Round-trip YAML editing: only the edit shows in the file."""

from __future__ import annotations

import difflib

import pytest
from tests.unit.rewrite._support import AMD64_ONLY

from archfit.errors import InputError
from archfit.manifests.rewrite.placement import apply_placement
from archfit.manifests.rewrite.yamlrt import Indentation, YamlFile, detect_indentation

ROUTE = """\
# header comment before the first separator
---
# yaml-language-server: $schema=https://example.invalid/schema.json
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      hostNetwork: True
      containers:
        - name: app
          image: 'nginx:1.27'
          securityContext:
            capabilities: { drop: ["ALL"] }
      rules:
        - # Ref: https://example.invalid/issue
          backendRefs:
            - port: 80
---
apiVersion: v1
kind: Service
metadata: {name: app}
"""


def test_only_added_lines_in_the_diff() -> None:
    yfile = YamlFile.parse(ROUTE)
    index = next(
        i for i in range(len(yfile)) if (yfile.document(i) or {}).get("kind") == "Deployment"
    )
    assert apply_placement(yfile.document(index)["spec"]["template"]["spec"], AMD64_ONLY)
    yfile.mark_changed(index)
    out = yfile.text()
    changed = [
        line
        for line in difflib.unified_diff(ROUTE.splitlines(), out.splitlines(), lineterm="", n=0)
        if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))
    ]
    assert changed
    assert all(line.startswith("+") for line in changed), changed
    assert "+      affinity:" in changed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a:\n  b:\n    - c\n", Indentation(2, 4, 2)),
        ("a:\n  b:\n  - c\n", Indentation(2, 2, 0)),
        ("a:\n    b:\n        - c\n", Indentation(4, 6, 4)),
    ],
)
def test_indentation_detected(text: str, expected: Indentation) -> None:
    assert detect_indentation(text) == expected


def test_unchanged_documents_are_kept_byte_for_byte() -> None:
    yfile = YamlFile.parse(ROUTE)
    for i in range(len(yfile)):
        yfile.document(i)
    assert yfile.text() == ROUTE


def test_not_yaml_is_an_input_error() -> None:
    with pytest.raises(InputError):
        YamlFile.parse("a: [1, 2\n", where="broken.yaml")


def test_empty_flow_affinity_becomes_a_block() -> None:
    text = "kind: Pod\nspec:\n  affinity: {}\n  containers: [{name: a, image: nginx}]\n"
    yfile = YamlFile.parse(text)
    assert apply_placement(yfile.document(0)["spec"], AMD64_ONLY)
    yfile.mark_changed(0)
    out = yfile.text()
    assert "  affinity:\n    nodeAffinity:\n" in out
    assert "  containers: [{name: a, image: nginx}]\n" in out


def test_documents_copy_with_their_spelling() -> None:
    """Overlay patches are built from copies of base documents; a `True` must survive copying."""
    import copy

    from archfit.manifests.rewrite.yamlrt import SpelledBool

    data = copy.deepcopy(YamlFile.parse("enabled: True\n").document(0))
    assert isinstance(data["enabled"], SpelledBool)
    assert (bool(data["enabled"]), data["enabled"].text) == (True, "True")
