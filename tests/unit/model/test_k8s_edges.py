"""Edge cases of the Kubernetes-shape converter that the manifest reader relies on."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archfit.errors import InvalidValue
from archfit.model.k8s import workload_from_k8s
from archfit.model.workload import SourceRef

SRC = SourceRef("w.yaml", 3)


def _deployment(pod_spec: Any, **top: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": {"metadata": {"labels": {"app": "d"}}, "spec": pod_spec}, **top},
    }


def test_any_mapping_type_is_accepted() -> None:
    spec = MappingProxyType({"containers": [MappingProxyType({"name": "a", "image": "nginx"})]})
    workload = workload_from_k8s(MappingProxyType(_deployment(spec)), SRC)
    assert workload.template.containers[0].image == "nginx"
    assert workload.template.labels == {"app": "d"}


@pytest.mark.parametrize(
    ("pod_spec", "where"),
    [
        ({"containers": "nginx"}, "spec.template.spec.containers"),
        ({"containers": ["nginx"]}, "spec.template.spec.containers[0]"),
        (
            {"containers": [{"name": "a", "resources": []}]},
            "spec.template.spec.containers[0].resources",
        ),
        ({"nodeSelector": {"disk": ["ssd"]}}, "spec.template.spec.nodeSelector.disk"),
        ([], "spec.template.spec"),
        (
            {
                "affinity": {
                    "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": ["x"]}
                }
            },
            "spec.template.spec.affinity.podAntiAffinity."
            "preferredDuringSchedulingIgnoredDuringExecution[0]",
        ),
    ],
)
def test_wrong_shapes_name_the_field(pod_spec: Any, where: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        workload_from_k8s(_deployment(pod_spec), SRC)
    assert caught.value.where == where


@pytest.mark.parametrize("value", ["false", "true", 0, 1, "no"])
def test_host_network_must_be_a_boolean(value: Any) -> None:
    # `bool("false")` is True: a string must be rejected as the API server rejects it.
    spec = {"hostNetwork": value, "containers": [{"name": "a", "image": "nginx"}]}
    with pytest.raises(InvalidValue) as caught:
        workload_from_k8s(_deployment(spec), SRC)
    assert caught.value.where == "spec.template.spec.hostNetwork"
    assert caught.value.message == f"expected a boolean, got {value!r}"


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), (None, False)])
def test_host_network_booleans_are_read(value: bool | None, expected: bool) -> None:
    spec = {"hostNetwork": value, "containers": [{"name": "a", "image": "nginx"}]}
    assert workload_from_k8s(_deployment(spec), SRC).template.host_network is expected


def test_claim_read_only_must_be_a_boolean() -> None:
    volume = {"name": "v", "persistentVolumeClaim": {"claimName": "c", "readOnly": "false"}}
    with pytest.raises(InvalidValue) as caught:
        workload_from_k8s(_deployment({"volumes": [volume]}), SRC)
    assert caught.value.where == "spec.template.spec.volumes[0].persistentVolumeClaim.readOnly"


@pytest.mark.parametrize("field", ["labels", "annotations"])
def test_template_metadata_errors_name_the_template_path(field: str) -> None:
    doc = _deployment({"containers": [{"name": "a", "image": "nginx"}]})
    doc["spec"]["template"]["metadata"] = {field: {"tier": ["web"]}}
    with pytest.raises(InvalidValue) as caught:
        workload_from_k8s(doc, SRC)
    assert caught.value.where == f"spec.template.metadata.{field}.tier"


def test_pod_metadata_errors_name_the_pod_path() -> None:
    doc = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"tier": ["web"]}},
        "spec": {"containers": [{"name": "a", "image": "nginx"}]},
    }
    with pytest.raises(InvalidValue) as caught:
        workload_from_k8s(doc, SRC)
    assert caught.value.where == "metadata.labels.tier"


def test_unparsable_image_is_kept_without_a_reference() -> None:
    spec = {"containers": [{"name": "a", "image": "Not A Ref"}]}
    container = workload_from_k8s(_deployment(spec), SRC).template.containers[0]
    assert container.image == "Not A Ref"
    assert container.image_ref is None


def test_replicas_default_and_namespace_default() -> None:
    workload = workload_from_k8s(_deployment({}), SRC, default_namespace="media")
    assert workload.replicas == 1
    assert workload.namespace == "media"
    assert workload.source == SRC


def test_statefulset_claim_templates_take_the_workload_namespace() -> None:
    obj = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "data"},
        "spec": {
            "template": {"spec": {}},
            "volumeClaimTemplates": [
                {"metadata": {"name": "pgdata"}, "spec": {"storageClassName": "longhorn"}},
                {"metadata": {"name": "wal"}},
            ],
        },
    }
    claims = workload_from_k8s(obj, SRC).volume_claim_templates
    assert [(c.namespace, c.name, c.storage_class) for c in claims] == [
        ("data", "pgdata", "longhorn"),
        ("data", "wal", None),  # no class: the default StorageClass applies
    ]
    assert claims[0].source == SRC


_FIELDS = st.sampled_from(
    [
        "containers", "initContainers", "affinity", "nodeAffinity", "podAntiAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "preferredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms",
        "matchExpressions", "key", "operator", "values", "weight", "preference",
        "podAffinityTerm", "labelSelector", "tolerations", "volumes", "persistentVolumeClaim",
        "ephemeral", "volumeClaimTemplate", "spec", "resources", "requests", "limits", "cpu",
        "name", "image", "ports", "containerPort", "topologySpreadConstraints", "overhead",
        "nodeSelector", "restartPolicy", "metadata", "labels", "template", "replicas",
        "volumeClaimTemplates", "ownerReferences",
    ]
)  # fmt: skip
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.text(max_size=3))
_SHAPES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_FIELDS, inner, max_size=4),
    max_leaves=25,
)


@given(
    spec=st.dictionaries(_FIELDS, _SHAPES, max_size=6),
    top=st.dictionaries(_FIELDS, _SHAPES, max_size=3),
    kind=st.sampled_from(["Pod", "Deployment", "StatefulSet", "CronJob"]),
)
def test_any_shape_is_read_or_rejected_with_invalid_value(
    spec: dict[str, Any], top: dict[str, Any], kind: str
) -> None:
    """Whatever a manifest holds, conversion gives a workload or an `InvalidValue` naming a
    field, never another exception (the manifest reader relies on it to never crash)."""
    if kind == "Pod":
        obj: dict[str, Any] = {"kind": kind, "metadata": {"name": "x"}, "spec": spec}
    else:
        template = {"template": {"spec": spec}}
        body = {**top, "jobTemplate": {"spec": template}} if kind == "CronJob" else template
        obj = {"kind": kind, "metadata": {"name": "x"}, "spec": {**top, **body}}
    error: InvalidValue | None = None
    try:
        workload_from_k8s(obj, SRC)
    except InvalidValue as err:
        error = err
    assert error is None or error.where
