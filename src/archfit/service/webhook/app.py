"""The HTTP side: a Starlette app that feeds review bodies to the brain.

    POST /mutate, /validate ──> images_in ──> [Pod, images unknown: its pull secrets, `get`]
                            ──> ImageSource (budget) ──> decide ──> JSON
    GET /healthz (the process answers), /readyz (nodes synced, policy loaded), /metrics

Every admission answer is HTTP 200 with the request's uid, whatever went wrong inside (a bug is
logged and answered `allowed` with a warning: a 5xx would make the API server apply the
failurePolicy, and a webhook that blocks pods because of its own bug is worse than one that lets
them through unchanged). Only a body that is not JSON gets a 400. One JSON log line per review
names the request and the outcome, never the object's contents.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from archfit.policy import Engine
from archfit.service.webhook.brain import (
    Decision,
    View,
    decide,
    images_in,
    make_engine,
    review_uid,
)
from archfit.service.webhook.cluster import Views
from archfit.service.webhook.images import ImageSource
from archfit.service.webhook.metrics import Metrics
from archfit.service.webhook.secrets import PodCredentials
from archfit.service.webhook.wire import ADMISSION_API_VERSION

__all__ = ["build_app"]

log = logging.getLogger("archfit.webhook")
_TIMEOUT = re.compile(r"^(\d+)s$")


def _budget(request: Request, default: float) -> float:
    """The registry budget: the configured one, and never more than half the API server's own
    timeout (it sends `?timeout=10s`), so the answer always arrives in time."""
    match = _TIMEOUT.match(request.query_params.get("timeout", ""))
    if match is None:
        return default
    return max(0.05, min(default, int(match.group(1)) / 2))


def _log(endpoint: str, body: Any, decision: Decision, seconds: float) -> None:
    request = body.get("request") if isinstance(body, dict) else None
    request = request if isinstance(request, dict) else {}
    kind = request.get("kind")
    fields = {
        "endpoint": endpoint,
        "uid": decision.review["response"].get("uid", ""),
        "kind": kind.get("kind") if isinstance(kind, dict) else None,
        "operation": request.get("operation"),
        "namespace": request.get("namespace"),
        "subject": decision.subject,
        "dryRun": request.get("dryRun") is True,
        "outcome": decision.outcome,
        "ms": round(seconds * 1000, 2),
    }
    log.info("admission", extra={"fields": fields})


# Seconds one policy engine is kept at most: it caches image answers, so a tag answer that
# expired in the ImageSource is served at most this much longer.
ENGINE_LIFETIME = 30.0

# (namespace, pod) -> the pod's pull-secret credentials and warnings about them.
SecretReader = Callable[
    [str, Mapping[str, Any]], Awaitable[tuple[PodCredentials | None, list[str]]]
]


def _pod(body: Any) -> tuple[str, Mapping[str, Any]] | None:
    """(namespace, pod object) of a Pod admission, else None."""
    request = body.get("request") if isinstance(body, dict) else None
    if not isinstance(request, dict):
        return None
    kind = request.get("kind")
    obj = request.get("object")
    if not isinstance(kind, dict) or kind.get("kind") != "Pod" or not isinstance(obj, dict):
        return None
    namespace = request.get("namespace") or (obj.get("metadata") or {}).get("namespace")
    return (str(namespace), obj) if namespace else None


async def _credentials(
    read: SecretReader | None, body: Any, images: ImageSource, refs: Any, budget: float
) -> tuple[PodCredentials | None, list[str]]:
    """A Pod's pull secrets, read only when some image is not already known."""
    pod = _pod(body) if read is not None else None
    if read is None or pod is None or not refs or images.known(refs):
        return None, []
    try:
        return await asyncio.wait_for(read(*pod), budget)
    except TimeoutError:
        return None, ["pull secrets not read within the budget; they are not used"]


def build_app(
    views: Views,
    images: ImageSource,
    metrics: Metrics,
    *,
    read_secrets: SecretReader | None = None,
) -> Starlette:
    options = views.options
    # The view is kept beside its engine so that its id cannot be reused while the key lives.
    engines: dict[tuple[int, int, int], tuple[View, Engine]] = {}

    def engine_for(view: View) -> Engine:
        # One engine while the view and the known image answers stay the same: it caches the
        # eligibility of each node class, which is most of a decision's cost.
        key = (id(view), images.version, int(time.monotonic() // ENGINE_LIFETIME))
        hit = engines.get(key)
        if hit is None:
            engines.clear()
            hit = engines[key] = (view, make_engine(view, images))
        return hit[1]

    async def review(request: Request, endpoint: str) -> Response:
        started = time.perf_counter()
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            metrics.decisions.labels(endpoint, "bad-request").inc()
            return JSONResponse(
                {
                    "apiVersion": ADMISSION_API_VERSION,
                    "kind": "AdmissionReview",
                    "response": {"uid": "", "allowed": True},
                },
                status_code=400,
            )
        try:
            refs = images_in(body)
            budget = _budget(request, options.registry_budget)
            began = time.monotonic()
            credentials, notes = await _credentials(read_secrets, body, images, refs, budget)
            budget = max(0.0, budget - (time.monotonic() - began))
            infos, stats = await images.platforms(refs, budget, credentials)
            for source in ("lockfile", "memo", "cache", "registry", "unresolved"):
                count = getattr(stats, source)
                if count:
                    metrics.lookups.labels(source).inc(count)
            view = views.current()
            # A pod's private answers stay out of the shared engine: it serves every request.
            engine = engine_for(view) if credentials is None else make_engine(view, infos)
            decision = decide(body, view, infos, engine=engine)
            if notes:
                warnings = decision.review["response"].setdefault("warnings", [])
                warnings.extend(f"archfit: {note}" for note in notes)
            if endpoint == "validate":
                decision.review["response"].pop("patch", None)
                decision.review["response"].pop("patchType", None)
        except Exception:
            log.exception("admission failed", extra={"fields": {"uid": review_uid(body)}})
            decision = Decision(
                {
                    "apiVersion": ADMISSION_API_VERSION,
                    "kind": "AdmissionReview",
                    "response": {
                        "uid": review_uid(body),
                        "allowed": True,
                        "warnings": ["archfit: internal error; the object is unchanged"],
                    },
                },
                "error",
            )
        seconds = time.perf_counter() - started
        metrics.latency.labels(endpoint).observe(seconds)
        metrics.decisions.labels(endpoint, decision.outcome).inc()
        _log(endpoint, body, decision, seconds)
        return JSONResponse(decision.review)

    async def mutate(request: Request) -> Response:
        return await review(request, "mutate")

    async def validate(request: Request) -> Response:
        return await review(request, "validate")

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(request: Request) -> Response:
        ready = views.ready
        metrics.ready.set(1 if ready else 0)
        if ready:
            return PlainTextResponse("ready\n")
        why = []
        if not views.nodes.synced:
            why.append("node watch not synced")
        if not views.policy.loaded:
            why.append("policy not loaded")
        return PlainTextResponse("not ready: " + ", ".join(why) + "\n", status_code=503)

    async def prometheus(request: Request) -> Response:
        metrics.ready.set(1 if views.ready else 0)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/mutate", mutate, methods=["POST"]),
            Route("/validate", validate, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", prometheus, methods=["GET"]),
        ]
    )
