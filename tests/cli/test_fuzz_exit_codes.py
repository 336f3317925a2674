"""No input reaches an internal error (exit 70): manifests, kustomizations, Helm values and
cluster files made of arbitrary YAML, run through `check` and `simulate` in-process (fast, few
examples) and once through the console script."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from archfit.cli.main import main
from tests.support.console import archfit

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.sampled_from(["", "three", "-1", "100m", "1Gi", "amd64", "In", "Within", "web.yaml", "x"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["name", "image", "values", "key", "a"]), inner, max_size=3
        )
    ),
    max_leaves=8,
)


def _maybe(keys: list[str]) -> Any:
    return st.dictionaries(st.sampled_from(keys), VALUES, max_size=len(keys))


POD_SPEC = st.fixed_dictionaries(
    {"containers": st.one_of(VALUES, st.just([{"name": "c", "image": "nginx:1.27"}]))},
    optional={
        "affinity": VALUES,
        "nodeSelector": VALUES,
        "tolerations": VALUES,
        "initContainers": VALUES,
        "runtimeClassName": VALUES,
        "priorityClassName": VALUES,
    },
)
MANIFEST = st.fixed_dictionaries(
    {
        "apiVersion": st.sampled_from(["apps/v1", "v1", "batch/v1", "helm.toolkit.fluxcd.io/v2"]),
        "kind": st.sampled_from(["Deployment", "StatefulSet", "DaemonSet", "Pod", "HelmRelease"]),
        "metadata": st.one_of(VALUES, st.just({"name": "w", "namespace": "default"})),
    },
    optional={
        "spec": st.one_of(
            VALUES,
            st.fixed_dictionaries(
                {"template": st.fixed_dictionaries({"spec": POD_SPEC})},
                optional={"replicas": VALUES, "selector": VALUES, "values": VALUES},
            ),
        )
    },
)
KUSTOMIZATION = _maybe(
    [
        "resources",
        "patches",
        "namespace",
        "images",
        "configMapGenerator",
        "components",
        "namePrefix",
        "commonLabels",
        "helmCharts",
    ]
)
NODE = _maybe(["name", "arch", "profile", "capacity", "labels", "taints", "roles", "os"])
CLUSTER = st.fixed_dictionaries(
    {
        "apiVersion": st.just("archfit.dev/v1alpha1"),
        "kind": st.just("Cluster"),
        "metadata": st.just({"name": "t"}),
        "nodes": st.one_of(VALUES, st.lists(NODE, max_size=3)),
    }
)


VALID_CLUSTER = {
    "apiVersion": "archfit.dev/v1alpha1",
    "kind": "Cluster",
    "metadata": {"name": "t"},
    "nodes": [
        {"name": "x86", "arch": "amd64", "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
        {"name": "pi", "profile": "raspberry-pi-5-8gb"},
    ],
}


def _write(root: Path, manifests: list[Any], kustomization: Any, cluster: Any) -> None:
    (root / "app.yaml").write_text(yaml.safe_dump_all(manifests))
    (root / "web.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
        "    spec: {containers: [{name: c, image: nginx:1.27}]}\n"
    )
    if kustomization is not None:
        (root / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    (root / "cluster.yaml").write_text(yaml.safe_dump(cluster))


@settings(
    max_examples=int(os.environ.get("ARCHFIT_FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    manifests=st.lists(MANIFEST, min_size=1, max_size=3),
    kustomization=st.one_of(st.none(), st.none(), KUSTOMIZATION),
    # Mostly a valid inventory, so that the manifests get past it and into the checks.
    cluster=st.one_of(st.just(VALID_CLUSTER), st.just(VALID_CLUSTER), CLUSTER),
    command=st.sampled_from(["check", "simulate"]),
)
def test_no_input_is_an_internal_error(
    manifests: list[Any], kustomization: Any, cluster: Any, command: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root, manifests, kustomization, cluster)
        code = main(
            [command, str(root), "--keep-going"]
            if command == "simulate"
            else [command, str(root), "--offline"]
        )
    event(f"{command} exit {code}")
    assert code in {0, 1, 2}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("kustomization.yaml", "resources: {a: 1}\nimages: 7\n"),
        ("app.yaml", "apiVersion: apps/v1\nkind: Deployment\nspec: [1, 2]\n"),
        ("app.yaml", "apiVersion: v1\nkind: Pod\nmetadata: 3\nspec: {containers: 5}\n"),
    ],
)
def test_console_script_never_exits_70(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    run = archfit("check", str(tmp_path))
    assert run.code in {0, 1, 2}, run.err
    assert "internal error" not in run.err
