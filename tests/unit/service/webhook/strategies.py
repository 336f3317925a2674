"""Hypothesis strategies for AdmissionReviews: recorded bodies bent out of shape, odd kinds,
huge pods, and JSON that is not a review at all."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
KINDS = st.sampled_from(
    [
        "Pod",
        "Deployment",
        "DaemonSet",
        "StatefulSet",
        "ReplicaSet",
        "Job",
        "CronJob",
        "Node",
        "",
        "pod",
    ]
)
# Registries that answer at once (nothing listens on port 9), so no lookup leaves the machine.
IMAGES = st.sampled_from(
    ["127.0.0.1:9/a:1", "127.0.0.1:9/b@sha256:" + "b" * 64, "", "UPPER/x", ":::"]
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


def _loopback_images(node: Any, image: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                node[key] = image
            else:
                _loopback_images(value, image)
    elif isinstance(node, list):
        for value in node:
            _loopback_images(value, image)


def recorded(requests_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(requests_dir.glob("*.json"))]


@st.composite
def reviews(draw: st.DrawFn, bodies: list[dict[str, Any]]) -> Any:
    """A recorded review with its images on loopback, then a few edits anywhere in it."""
    body = copy.deepcopy(draw(st.sampled_from(bodies)))
    _loopback_images(body, draw(IMAGES))
    request = body["request"]
    if draw(st.booleans()):
        request["kind"]["kind"] = draw(KINDS)
        request["object"]["kind"] = request["kind"]["kind"]
    if draw(st.integers(0, 9)) == 0:  # a huge pod
        spec = request["object"].get("spec")
        if (
            isinstance(spec, dict)
            and isinstance(spec.get("containers"), list)
            and spec["containers"]
        ):
            spec["containers"] = [
                {**spec["containers"][0], "name": f"c{i}"}
                for i in range(draw(st.integers(50, 300)))
            ]
    paths = _paths(body)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(paths))
        if path and path[0] == "request" and path[1:] == ("uid",):
            continue  # the uid is what the property checks; other edits may remove it
        try:
            body = _set(body, path, draw(JSON))
        except (KeyError, IndexError, TypeError):
            continue
        paths = _paths(body)
    return body


def uid_of(body: Any) -> str | None:
    request = body.get("request") if isinstance(body, dict) else None
    uid = request.get("uid") if isinstance(request, dict) else None
    return uid if isinstance(uid, str) else None
