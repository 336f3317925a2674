"""The brain never raises and always answers with the request's uid, whatever the body holds."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import jsonpatch
from hypothesis import given, settings
from hypothesis import strategies as st

from archfit.model.node import Node
from archfit.policy import Settings
from archfit.service.webhook.brain import View, decide, images_in

from .strategies import recorded, reviews, uid_of


def test_fuzzed_reviews_are_answered(requests_dir: Path, recorded_nodes: tuple[Node, ...]) -> None:
    bodies = recorded(requests_dir)
    view = View(Settings(), recorded_nodes)

    @settings(max_examples=80, deadline=None)
    @given(reviews(bodies))
    def check(body: Any) -> None:
        images_in(body)
        answer = decide(body, view, {}).review
        response = answer["response"]
        uid = uid_of(body)
        assert response["uid"] == (uid or "")
        assert isinstance(response["allowed"], bool)
        if "patch" in response:
            ops = json.loads(base64.b64decode(response["patch"]))
            jsonpatch.JsonPatch(ops).apply(body["request"]["object"])

    check()


@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.integers())))
def test_non_reviews_are_answered(body: Any) -> None:
    assert decide(body, View(Settings()), {}).review["response"]["uid"] == ""
