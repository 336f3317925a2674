"""Properties of `sanitize`: nothing secret-shaped survives, the input is untouched, idempotent."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from archfit.kube.sanitize import LAST_APPLIED, sanitize

_text = st.text(min_size=1, max_size=8)


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]["template"]["spec"]
    elif obj["kind"] != "Pod":
        spec = spec["template"]["spec"]
    return [*spec["containers"], *spec.get("initContainers", [])]


_env = st.fixed_dictionaries(
    {"name": _text},
    optional={
        "value": _text,
        "valueFrom": st.sampled_from(
            [{"secretKeyRef": {"name": "s", "key": "k"}}, {"fieldRef": {"fieldPath": "x"}}]
        ),
    },
)
_container = st.fixed_dictionaries(
    {"name": _text, "image": _text},
    optional={
        "env": st.lists(_env, max_size=3),
        "envFrom": st.just([{"secretRef": {"name": "s"}}]),
    },
)
_pod_spec = st.fixed_dictionaries(
    {"containers": st.lists(_container, min_size=1, max_size=3)},
    optional={"initContainers": st.lists(_container, max_size=2)},
)
_meta = st.fixed_dictionaries(
    {"name": _text},
    optional={
        "managedFields": st.just([{"manager": "kubectl"}]),
        "annotations": st.dictionaries(
            st.sampled_from([LAST_APPLIED, "a", "b"]), _text, max_size=3
        ),
    },
)


@st.composite
def objects(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["Pod", "Deployment", "CronJob", "DaemonSet"]))
    spec = draw(_pod_spec)
    if kind == "Pod":
        body: dict[str, Any] = {"spec": spec}
    elif kind == "CronJob":
        body = {"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}
    else:
        body = {"spec": {"template": {"spec": spec}}}
    return {"apiVersion": "v1", "kind": kind, "metadata": draw(_meta), **body}


@given(objects())
def test_sanitize_leaves_no_env_values_and_no_bookkeeping(obj: dict[str, Any]) -> None:
    before = copy.deepcopy(obj)
    out = sanitize(obj)
    assert obj == before  # the input is never modified
    for container in _containers(out):
        assert "envFrom" not in container
        assert all(set(entry) == {"name"} for entry in container.get("env", []))
    assert "managedFields" not in out["metadata"]
    assert LAST_APPLIED not in out["metadata"].get("annotations", {})
    assert sanitize(out) == out  # idempotent


@given(objects())
def test_sanitize_keeps_images_and_env_names(obj: dict[str, Any]) -> None:
    def images_and_names(o: Any) -> list[str]:
        found: list[str] = []
        if isinstance(o, dict):
            for key, value in o.items():
                if key in {"image", "name"} and isinstance(value, str):
                    found.append(f"{key}={value}")
                elif key not in {"valueFrom", "envFrom", "managedFields"}:
                    found.extend(images_and_names(value))
        elif isinstance(o, list):
            for item in o:
                found.extend(images_and_names(item))
        return found

    assert images_and_names(sanitize(obj)) == images_and_names(obj)
