"""`write_json` writes the bytes of `json.dumps(value, indent=2, ensure_ascii=False)`."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archfit.report.json_stream import write_json

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and the infinities included: json.dumps writes NaN / Infinity
    | st.text()
)
keys = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(keys, inner, max_size=4)
    ),
    max_leaves=30,
)


def _written(value: Any) -> str:
    pieces: list[str] = []
    write_json(value, pieces.append)
    return "".join(pieces)


@given(values)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert _written(value) == json.dumps(value, indent=2, ensure_ascii=False)


@given(st.lists(values, min_size=1, max_size=3), st.lists(st.integers(0, 2), max_size=6))
def test_shared_containers_are_written_in_full_at_every_depth(
    parts: list[Any], picks: list[int]
) -> None:
    shared = {"rejected": parts, "more": [parts]}
    value = {
        "workloads": [{"rejected_nodes": shared, "n": i} for i in picks],
        "top": [shared, [[shared]]],
    }
    assert _written(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_known_text() -> None:
    nodes = {"n1": ["Insufficient cpu"]}
    value = {"a": [nodes, {"b": nodes}], "é": [], "z": {}, "f": 1.5, "x": math.inf}
    assert _written(value) == (
        '{\n  "a": [\n    {\n      "n1": [\n        "Insufficient cpu"\n      ]\n    },\n'
        '    {\n      "b": {\n        "n1": [\n          "Insufficient cpu"\n        ]\n'
        '      }\n    }\n  ],\n  "é": [],\n  "z": {},\n  "f": 1.5,\n  "x": Infinity\n}'
    )


def test_refused_values_write_nothing() -> None:
    pieces: list[str] = []
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        write_json({"a": [1, 2], "b": {1, 2}}, pieces.append)
    with pytest.raises(TypeError, match="keys must be str"):
        write_json({"a": {(1, 2): 3}}, pieces.append)
    assert pieces == []


def test_circular_reference_is_refused() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    written: list[str] = []
    with pytest.raises(ValueError, match="Circular reference"):
        write_json({"loop": loop}, written.append)
