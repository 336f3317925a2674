"""Names and image strings as the upstream tools produce them: the bjw-s common library's
`determineResourceNameFromValues` and `fullname`, helm-controller's release-name shortening,
Helm's printing of numeric values, Kustomize's `edit set image`, Argo CD's directory globs."""

from __future__ import annotations

from typing import Any

import pytest

from archfit.manifests.helm.apptemplate import derive
from archfit.manifests.helm.images import go_number_text, image_string
from archfit.manifests.sources.argodirectory import directory_filter
from archfit.manifests.sources.helmrelease import shorten_release_name
from archfit.manifests.sources.kustomize_images import edit_set_image, image_transform


def _container(tag: Any = "1.0") -> dict[str, Any]:
    return {"app": {"image": {"repository": "ghcr.io/x/app", "tag": tag}}}


def _names(values: dict[str, Any], release: str = "media", version: str = "3.7.3") -> list[str]:
    derived = derive(values, release=release, namespace="ns", chart_version=version)
    return [c.manifest["metadata"]["name"] for c in derived.controllers]


def test_identifier_then_suffix_each_skipped_when_the_name_ends_with_it() -> None:
    values = {
        "controllers": {
            "media": {"containers": _container()},  # the identifier is the name itself
            "worker": {"suffix": "bg", "containers": _container()},
            "web": {"suffix": "web", "containers": _container()},
            "Api": {"containers": _container()},  # lower-cased
            "pinned": {"forceRename": "Fixed-{{ .Release.Name }}", "containers": _container()},
        }
    }
    assert _names(values) == ["media", "media-worker-bg", "media-web", "media-api", "fixed-media"]


def test_prefix_is_joined_with_a_hyphen_unless_it_is_the_name() -> None:
    values = {
        "controllers": {
            "main": {"prefix": "home", "containers": _container()},
            "other": {"prefix": "media", "containers": _container()},
        }
    }
    assert _names(values) == ["home-media-main", "media-other"]


def test_always_append_identifier_with_one_controller() -> None:
    values = {
        "global": {"alwaysAppendIdentifierToResourceName": True},
        "controllers": {"main": {"containers": _container()}},
    }
    assert _names(values, release="plex") == ["plex-main"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"nameOverride": "other"}, "plex"),  # app-template sets global.nameOverride itself
        ({"global": {"nameOverride": "other"}}, "plex-other"),
        ({"global": {"nameOverride": "le"}}, "plex"),  # contained in the release name
        ({"fullnameOverride": "tv"}, "tv"),
        ({"fullnameOverride": "tv", "global": {"fullnameOverride": "movies"}}, "movies"),
        ({"fullnameOverride": "x" * 62 + "-y"}, "x" * 62),  # trunc 63 | trimSuffix "-"
    ],
)
def test_fullname(overrides: dict[str, Any], expected: str) -> None:
    values = {**overrides, "controllers": {"main": {"containers": _container()}}}
    assert _names(values, release="plex") == [expected]


def test_release_name_over_53_characters_is_shortened_like_helm_controller() -> None:
    name = "home-automation-home-assistant-matter-server-companion"
    # First 40 characters, "-", 12 hex digits of sha256(name) (from `sha256sum`).
    assert shorten_release_name(name) == "home-automation-home-assistant-matter-se-fee2bb8564e7"
    assert shorten_release_name("a" * 53) == "a" * 53


@pytest.mark.parametrize(
    ("value", "text"),
    # What `helm template` prints for these values (checked with helm 3.8).
    [
        (1.10, "1.1"),
        (8.0, "8"),
        (20240101, "2.0240101e+07"),
        (1000000, "1e+06"),
        (123456, "123456"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-2.5, "-2.5"),
        (100000.5, "100000.5"),
        (1.2345675e20, "1.2345675e+20"),
    ],
)
def test_numbers_print_as_helm_prints_them(value: float, text: str) -> None:
    assert go_number_text(value) == text


def test_an_unquoted_numeric_tag_is_the_tag_helm_renders() -> None:
    assert image_string({"repository": "alpine/curl", "tag": 8.10}) == ("alpine/curl:8.1", False)
    assert image_string({"repository": "app", "tag": 3}) == ("app:3", False)


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        ("traefik/whoami:v1.11.0", {"name": "traefik/whoami", "newTag": "v1.11.0"}),
        (
            "nginx=ghcr.io/me/nginx:1.2",
            {"name": "nginx", "newName": "ghcr.io/me/nginx", "newTag": "1.2"},
        ),
        ("nginx=ghcr.io/me/nginx", {"name": "nginx", "newName": "ghcr.io/me/nginx"}),
        ("reg:5000/app@sha256:ab", {"name": "reg:5000/app", "digest": "sha256:ab"}),
        ("", None),
    ],
)
def test_kustomize_edit_set_image(spec: str, rule: dict[str, str] | None) -> None:
    assert edit_set_image(spec) == rule


def test_image_transform_keeps_a_registry_port() -> None:
    rules = [{"name": "reg:5000/app", "newTag": "2"}]
    assert image_transform("reg:5000/app:1", rules) == "reg:5000/app:2"


@pytest.mark.parametrize(
    ("directory", "applied", "skipped"),
    [
        ({"exclude": "*-test.yaml"}, ["a.yaml", "sub/b.yaml"], ["x-test.yaml", "sub/y-test.yaml"]),
        ({"include": "{app.yaml,db/*}"}, ["app.yaml", "db/x.yaml", "db/y/z.yaml"], ["other.yaml"]),
        ({"include": "*.yaml", "exclude": "secret?.yaml"}, ["secrets.yml.yaml"], ["secret1.yaml"]),
        ({"include": "[!_]*"}, ["app.yaml"], ["_draft.yaml"]),
        ({}, ["anything.yaml"], []),
    ],
)
def test_argocd_directory_globs(
    directory: dict[str, str], applied: list[str], skipped: list[str]
) -> None:
    keep = directory_filter({"directory": directory})
    assert [p for p in applied if keep(p)] == applied
    assert [p for p in skipped if keep(p)] == []
