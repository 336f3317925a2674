from __future__ import annotations

import pytest

from archfit.registry.auth import Challenge, TokenCache, parse_challenge, parse_token_answer
from archfit.registry.credentials import Credential
from archfit.registry.errors import AuthenticationError


def test_docker_hub_challenge() -> None:
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/nginx:pull"'
    )
    assert parse_challenge(header) == Challenge(
        "bearer",
        "https://auth.docker.io/token",
        "registry.docker.io",
        "repository:library/nginx:pull",
    )


def test_basic_challenge_and_unquoted_values() -> None:
    assert parse_challenge('Basic realm="Registry Realm"') == Challenge("basic", "Registry Realm")
    assert parse_challenge("Bearer realm=https://x/token, service=x") == Challenge(
        "bearer", "https://x/token", "x"
    )
    assert parse_challenge("") is None
    assert parse_challenge(None) is None


def test_token_or_access_token_and_default_expiry() -> None:
    token, expiry = parse_token_answer({"access_token": "abc"}, now=1000.0)
    assert token == "abc"
    assert expiry == pytest.approx(1000.0 + 60 - 10)
    token, expiry = parse_token_answer({"token": "t", "expires_in": 300}, now=1000.0)
    assert token == "t"
    assert expiry == pytest.approx(1290.0)


def test_issued_at_in_the_past_shortens_the_lifetime() -> None:
    _, expiry = parse_token_answer(
        {"token": "t", "expires_in": 300, "issued_at": "1970-01-01T00:16:40Z"}, now=1100.0
    )
    assert expiry == pytest.approx(1000.0 + 300 - 10)


@pytest.mark.parametrize("doc", [{}, {"token": ""}, [], "x"])
def test_bad_token_answers(doc: object) -> None:
    with pytest.raises(AuthenticationError):
        parse_token_answer(doc, now=0.0)


def test_token_cache_expires() -> None:
    cache = TokenCache()
    cache.put(("r", "s", "scope", ""), "live", 1e12)
    cache.put(("r", "s", "other", ""), "dead", 1.0)
    assert cache.get(("r", "s", "scope", "")) == "live"
    assert cache.get(("r", "s", "other", "")) is None
    assert "live" not in repr(cache)


def test_credentials_never_show_their_secret() -> None:
    cred = Credential("alice", "s3cret-value", source="config.json")
    for text in (repr(cred), str(cred), cred.identity, f"{cred}"):
        assert "s3cret-value" not in text
        assert "alice" not in text
    assert cred.basic() == "Basic YWxpY2U6czNjcmV0LXZhbHVl"
