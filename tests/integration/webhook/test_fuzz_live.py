"""Fuzzed AdmissionReviews over HTTPS: never a 5xx, never an answer without the request's uid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from archfit.service.webhook.settings import WebhookOptions
from tests.integration.webhook.running import ServeWebhook
from tests.unit.service.webhook.strategies import recorded, reviews, uid_of

JSON_TYPE = {"content-type": "application/json"}


def test_fuzzed_reviews_over_https(serve_webhook: ServeWebhook, requests_dir: Path) -> None:
    bodies = recorded(requests_dir)
    with serve_webhook(options=WebhookOptions(registry_budget=0.2)) as (_, client):

        @settings(
            max_examples=40,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(reviews(bodies))
        def check(body: Any) -> None:
            for path in ("/mutate", "/validate"):
                raw = json.dumps(body).encode()
                response = client.post(path, content=raw, headers=JSON_TYPE)
                assert response.status_code == 200
                assert response.json()["response"]["uid"] == (uid_of(body) or "")

        check()
        garbage = client.post("/mutate", content=b"\xff{not json")
        assert garbage.status_code == 400
        assert client.get("/healthz").status_code == 200


pytestmark = pytest.mark.slow
