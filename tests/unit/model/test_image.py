from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archfit.errors import InvalidValue
from archfit.model.image import ImageRef

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("bitnami/redis:7.2", "docker.io/bitnami/redis:7.2"),
        ("docker.io/nginx", "docker.io/library/nginx:latest"),
        ("index.docker.io/library/nginx:1", "docker.io/library/nginx:1"),
        (
            "ghcr.io/home-assistant/home-assistant:2024.6",
            "ghcr.io/home-assistant/home-assistant:2024.6",
        ),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/team/app:v1", "localhost:5000/team/app:v1"),
        ("registry.example.com:8443/a/b/c:t", "registry.example.com:8443/a/b/c:t"),
        (f"nginx@{DIGEST}", f"docker.io/library/nginx@{DIGEST}"),
        (f"nginx:1.27@{DIGEST}", f"docker.io/library/nginx:1.27@{DIGEST}"),
        ("[::1]:5000/app:1", "[::1]:5000/app:1"),
    ],
)
def test_normalisation(text: str, expected: str) -> None:
    assert str(ImageRef.parse(text)) == expected


def test_tag_and_digest_are_both_kept() -> None:
    ref = ImageRef.parse(f"quay.io/org/app:2.0@{DIGEST}")
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        "quay.io",
        "org/app",
        "2.0",
        DIGEST,
    )
    assert ref.pinned


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Nginx",
        "nginx:",
        "nginx@sha256:abc",
        "a//b",
        "nginx:tag with space",
        "-nginx",
        "host:99999x/a",
    ],
)
def test_rejects(text: str) -> None:
    with pytest.raises(InvalidValue):
        ImageRef.parse(text)


_component = st.from_regex(r"[a-z0-9]{1,8}([._-][a-z0-9]{1,8})?", fullmatch=True)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@given(st.lists(_component, min_size=1, max_size=3), _tag)
def test_normalised_form_is_a_fixed_point(path: list[str], tag: str) -> None:
    ref = ImageRef.parse("/".join(path) + ":" + tag)
    assert ImageRef.parse(str(ref)) == ref
    assert ImageRef.parse(ref.familiar) == ref
