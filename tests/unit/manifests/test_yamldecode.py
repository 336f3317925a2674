"""The event-based decoder returns what `yaml.safe_load` returns, and tolerates what Kubernetes'
decoder tolerates."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from archfit.manifests.documents import split_documents
from archfit.manifests.yamldecode import decode

# Scalars chosen to exercise the implicit resolvers (bools, nulls, ints in every base, floats,
# timestamps) besides arbitrary text.
_TRICKY = st.sampled_from(
    [
        "yes",
        "No",
        "on",
        "OFF",
        "~",
        "null",
        "",
        "0x1F",
        "017",
        "0b101",
        "1_000",
        "1:30",
        ".inf",
        "-.Inf",
        ".NaN",
        "1e3",
        "6.02e+23",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "=",
        "<<x",
        "+12",
        "-0",
        "true",
        "@at",
        "a: b",
        "- x",
        "#c",
        "'q'",
        '"d"',
        "*a",
        "&b",
    ]
)
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), _TRICKY, st.text()
)
_KEYS = st.one_of(_TRICKY, st.text(max_size=20), st.integers())
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=4),
    max_leaves=25,
)


@given(value=_VALUES, flow=st.booleans())
def test_decode_matches_safe_load_for_dumped_values(value: Any, flow: bool) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True)
    assert decode(text) == yaml.safe_load(text)


@given(words=st.lists(_TRICKY, min_size=1, max_size=6))
def test_plain_scalars_resolve_like_safe_load(words: list[str]) -> None:
    for word in words:
        text = f"k: {word}\n"
        if word == "=":  # PyYAML has no constructor for YAML 1.1's `=` value key; Go reads text
            assert decode(text) == {"k": "="}
            continue
        try:
            expected = yaml.safe_load(text)
        except yaml.YAMLError:
            with pytest.raises(yaml.YAMLError):
                decode(text)
            continue
        assert decode(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a: &x {b: 1, c: 2}\nd:\n  <<: *x\n  c: 3\n",
            {"a": {"b": 1, "c": 2}, "d": {"b": 1, "c": 3}},
        ),
        (
            "a: &a {k: 1}\nb: &b {k: 2, j: 2}\nc:\n  <<: [*a, *b]\n",
            {"a": {"k": 1}, "b": {"k": 2, "j": 2}, "c": {"k": 1, "j": 2}},
        ),
        ("s: !!str 12\ni: !!int '12'\nf: !!float 1\n", {"s": "12", "i": 12, "f": 1.0}),
        ("t: 2001-12-14\n", {"t": datetime.date(2001, 12, 14)}),
        ("- &v 1\n- *v\n", [1, 1]),
        ("", None),
        ("# only a comment\n", None),
    ],
)
def test_decode_examples(text: str, expected: Any) -> None:
    assert decode(text) == expected
    assert decode(text) == yaml.safe_load(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("value: !env_var HOME\n", {"value": "HOME"}, id="application-scalar-tag"),
        pytest.param("m: !custom {a: 1}\n", {"m": {"a": 1}}, id="application-mapping-tag"),
        pytest.param("l: !!python/tuple [1, 2]\n", {"l": [1, 2]}, id="python-tag-is-inert"),
        pytest.param("a: &x 1\nb: &x 2\nc: *x\n", {"a": 1, "b": 2, "c": 2}, id="anchor-redefined"),
    ],
)
def test_decode_tolerates_what_kubernetes_tolerates(text: str, expected: Any) -> None:
    assert decode(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a: [1, 2\n",
        "a: *missing\n",
        "? [a, b]\n: c\n",
        "a:\n  <<: 3\n",
        "a: 2001-13-45\n",  # safe_load raises ValueError here; a YAML error with a line instead
        "a: !!int twelve\n",
    ],
)
def test_decode_errors_are_yaml_errors(text: str) -> None:
    with pytest.raises(yaml.YAMLError):
        decode(text)


@pytest.mark.shared
def test_decode_matches_safe_load_on_real_repositories(shared_dir: Path) -> None:
    compared = 0
    for path in sorted((shared_dir / "fixtures" / "gitops").rglob("*.y*ml")):
        for _, chunk in split_documents(path.read_text(encoding="utf-8")):
            try:
                expected = yaml.safe_load(chunk)
            except yaml.YAMLError:
                continue  # custom tags and redefined anchors: covered above
            assert decode(chunk) == expected, path
            compared += 1
    assert compared > 500
