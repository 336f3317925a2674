"""Helm's value merging (Flux order, null deletes a default, targetPath), and images in values."""

from __future__ import annotations

import base64

import pytest

from archfit.errors import InvalidValue
from archfit.manifests.helm.images import find_images
from archfit.manifests.helm.values import (
    ValuesReference,
    assemble_values,
    coalesce,
    merge_maps,
    parse_target_path,
    set_path,
)


def test_merge_maps_recurses_and_replaces_lists() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert merge_maps(base, {"a": {"c": [3]}, "d": None}) == {"a": {"b": 1, "c": [3]}, "d": None}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


def test_coalesce_null_deletes_defaults() -> None:
    defaults = {"resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "100m"}}, "x": 1}
    user = {"resources": {"limits": None}, "x": None, "y": None}
    assert coalesce(user, defaults) == {"resources": {"requests": {"cpu": "100m"}}}


def test_target_path_parsing_and_setting() -> None:
    assert parse_target_path(r"a.b\.c[1].d") == ["a", "b.c", 1, "d"]
    assert set_path({"a": {"x": 1}}, "a.list[1].name", "v") == {
        "a": {"x": 1, "list": [None, {"name": "v"}]}
    }
    with pytest.raises(InvalidValue):
        parse_target_path("")


def test_values_from_in_order_then_inline() -> None:
    secret_values = base64.b64encode(b"image:\n  tag: from-secret\nextra: 1\n").decode()
    lookup = {
        ("ConfigMap", "base"): {
            "kind": "ConfigMap",
            "data": {"values.yaml": "image:\n  repository: app\n  tag: from-cm\n"},
        },
        ("Secret", "override"): {"kind": "Secret", "data": {"values.yaml": secret_values}},
        ("ConfigMap", "one"): {"kind": "ConfigMap", "data": {"replicas": "3"}},
    }
    refs = [
        ValuesReference("ConfigMap", "base"),
        ValuesReference("Secret", "override"),
        ValuesReference(
            "ConfigMap", "one", values_key="replicas", target_path="controller.replicas"
        ),
        ValuesReference("ConfigMap", "missing", optional=True),
        ValuesReference("Secret", "absent"),
    ]
    result = assemble_values(
        inline={"extra": 2},
        references=refs,
        lookup=lookup,
        chart_defaults={"image": {"pull": "IfNotPresent"}},
    )
    assert result.values == {
        "image": {"pull": "IfNotPresent", "repository": "app", "tag": "from-secret"},
        "extra": 2,
        "controller": {"replicas": 3},
    }
    assert result.problems == ("valuesFrom Secret/absent[values.yaml] not found in the repository",)


def test_sops_secret_is_reported_not_read() -> None:
    lookup = {
        ("Secret", "s"): {
            "kind": "Secret",
            "data": {"values.yaml": "ENC[AES256_GCM,...]"},
            "sops": {},
        }
    }
    result = assemble_values(inline={}, references=[ValuesReference("Secret", "s")], lookup=lookup)
    assert result.values == {}
    assert "SOPS-encrypted" in result.problems[0]


def test_images_in_chart_values() -> None:
    values = {
        "image": {"registry": "quay.io", "repository": "cilium/cilium", "tag": "v1.16.0"},
        "operator": {"image": "ghcr.io/org/op:1.2"},
        "sidecarImage": {"repository": "busybox", "tag": "1.36@sha256:" + "a" * 64},
        "webhook": {"image": {"repository": "ghcr.io/org/hook"}},
        "templated": {"image": "{{ .Values.x }}"},
    }
    found = {
        i.path: (i.reference, str(i.ref) if i.ref else None, i.tag_from_chart)
        for i in find_images(values)
    }
    assert found == {
        "image": ("quay.io/cilium/cilium:v1.16.0", "quay.io/cilium/cilium:v1.16.0", False),
        "operator.image": ("ghcr.io/org/op:1.2", "ghcr.io/org/op:1.2", False),
        "sidecarImage": (
            "busybox:1.36@sha256:" + "a" * 64,
            "docker.io/library/busybox:1.36@sha256:" + "a" * 64,
            False,
        ),
        "webhook.image": ("ghcr.io/org/hook", None, True),
        "templated.image": ("{{ .Values.x }}", None, False),
    }
