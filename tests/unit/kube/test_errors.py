"""Failure Status objects (as recorded from a real kube-apiserver) into archfit's errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archfit.errors import InputError
from archfit.kube.errors import (
    Conflict,
    Expired,
    FieldConflict,
    Forbidden,
    Invalid,
    NamespaceNotFound,
    NotFound,
    RbacRule,
    Request,
    Unauthorized,
    status_error,
)
from archfit.kube.sanitize import field_owners


def _status(shared_dir: Path, name: str) -> dict[str, Any]:
    status: dict[str, Any] = json.loads((shared_dir / "fixtures" / "apiserver" / name).read_text())
    return status


def test_403_patch_names_the_patch_rule(shared_dir: Path) -> None:
    err = status_error(
        _status(shared_dir, "error-403-patch-node.json"), Request("patch", "nodes", name="mirt")
    )
    assert isinstance(err, Forbidden)
    assert err.rule == RbacRule(verb="patch", resource="nodes", group="")
    assert str(err) == (
        'forbidden: User "system:serviceaccount:default:nobody" cannot patch resource "nodes" '
        'in API group "" at the cluster scope: add rule {apiGroups: [""], resources: ["nodes"], '
        'verbs: ["patch"]} to a ClusterRole bound to system:serviceaccount:default:nobody'
    )


def test_403_in_a_namespace_proposes_a_role() -> None:
    message = (
        'deployments.apps is forbidden: User "jane" cannot list resource "deployments" in API '
        'group "apps" in the namespace "web"'
    )
    err = status_error({"code": 403, "reason": "Forbidden", "message": message}, None)
    assert isinstance(err, Forbidden)
    assert err.rule == RbacRule("list", "deployments", "apps", "web")
    assert 'add rule {apiGroups: ["apps"], resources: ["deployments"], verbs: ["list"]}' in str(err)
    assert "to a Role in namespace web (or a ClusterRole) bound to jane" in str(err)


def test_403_with_an_unknown_message_falls_back_to_the_request() -> None:
    err = status_error(
        {"code": 403, "message": "denied by webhook"},
        Request("list", "poddisruptionbudgets", "policy"),
    )
    assert isinstance(err, Forbidden)
    assert err.rule == RbacRule("list", "poddisruptionbudgets", "policy")


def test_401(shared_dir: Path) -> None:
    err = status_error(_status(shared_dir, "error-401.json"), Request("list", "pods"))
    assert isinstance(err, Unauthorized)
    assert "(list pods)" in str(err)


def test_404_namespace_is_an_input_error(shared_dir: Path) -> None:
    err = status_error(_status(shared_dir, "error-404-namespace.json"), None)
    assert isinstance(err, NamespaceNotFound)
    assert isinstance(err, InputError)
    assert err.namespace == "does-not-exist"


def test_404_pod(shared_dir: Path) -> None:
    err = status_error(_status(shared_dir, "error-404-pod.json"), None)
    assert isinstance(err, NotFound)


@pytest.mark.parametrize(
    ("name", "manager", "field"),
    [
        ("ssa-apply-conflict.json", "archfit", ".metadata.labels.archfit.io/arch"),
        ("ssa-apply-conflict-arch-label.json", "unknown", ".metadata.labels.kubernetes.io/arch"),
    ],
)
def test_409_lists_field_managers(shared_dir: Path, name: str, manager: str, field: str) -> None:
    err = status_error(_status(shared_dir, name), None)
    assert isinstance(err, Conflict)
    assert err.conflicts == (FieldConflict(field, manager),)


@pytest.mark.parametrize(
    "name", ["error-410-list-exact-too-old.json", "error-410-continue-too-old.json"]
)
def test_410_is_expired(shared_dir: Path, name: str) -> None:
    assert isinstance(status_error(_status(shared_dir, name), None), Expired)


def test_422_missing_field_manager(shared_dir: Path) -> None:
    err = status_error(_status(shared_dir, "ssa-apply-missing-fieldmanager.json"), None)
    assert isinstance(err, Invalid)
    assert "fieldManager: Required value" in str(err)


def test_label_owners_from_managed_fields(shared_dir: Path) -> None:
    node = _status(shared_dir, "ssa-apply-node-labels.json")
    owners = field_owners(node)
    assert owners["archfit.io/arch"] == {"archfit"}
    assert owners["archfit.io/verified"] == {"archfit"}
    assert owners["kubernetes.io/arch"] == {"unknown"}


def _all_subclasses(cls: type) -> set[type]:
    out: set[type] = set()
    subclasses: list[type] = cls.__subclasses__()
    for sub in subclasses:
        out |= {sub, *_all_subclasses(sub)}
    return out


def test_every_httpx_and_lightkube_error_is_translated() -> None:
    import httpx2
    from lightkube.core import exceptions as lk

    from archfit.kube.client import TRANSLATED

    raised = _all_subclasses(httpx2.HTTPError) | {lk.ConfigError, lk.ApiError}
    unmapped = sorted(c.__name__ for c in raised if not issubclass(c, TRANSLATED))
    assert unmapped == []
