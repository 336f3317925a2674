"""The kube adapter against recorded kube-apiserver responses replayed on loopback."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from archfit.errors import InputError
from archfit.kube.client import KubeApi, WatchEvent
from archfit.kube.config import load_target
from archfit.kube.errors import (
    ApiUnreachable,
    Conflict,
    Expired,
    FieldConflict,
    Forbidden,
    KubeConfigError,
    NamespaceNotFound,
    NotFound,
    Unauthorized,
)
from tests.integration.kube.replay import (
    BAD_TOKEN,
    NOBODY_TOKEN,
    Certs,
    ReplayServer,
    Response,
    write_kubeconfig,
)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _list(kubeconfig: Path, plural: str, **kw: Any) -> Any:
    async with KubeApi(load_target(kubeconfig=kubeconfig)) as api:
        return await api.list_all(plural, **kw)


def test_lists_nodes_with_bearer_token_and_custom_ca(kubeconfig: Path) -> None:
    result = run(_list(kubeconfig, "nodes"))
    names = sorted(n["metadata"]["name"] for n in result.items)
    assert len(names) == 14
    assert names[:3] == ["bruenor", "catti", "danilo"]
    assert result.resource_version == "700"
    # Items in a list carry no kind; the adapter restores it.
    assert {n["kind"] for n in result.items} == {"Node"}


def test_client_certificate_authenticates(
    apiserver: ReplayServer, certs: Certs, tmp_path: Path
) -> None:
    config = write_kubeconfig(tmp_path / "kc", apiserver.url, certs, token=None, client_cert=True)
    result = run(_list(config, "storageclasses"))
    assert [s["metadata"]["name"] for s in result.items] == ["longhorn"]
    assert "Authorization" not in apiserver.received[-1].headers


def test_pagination_follows_continue_tokens(kubeconfig: Path, apiserver: ReplayServer) -> None:
    result = run(_list(kubeconfig, "pods", chunk_size=5))
    assert len(result.items) == 40
    assert len({(p["metadata"]["namespace"], p["metadata"]["name"]) for p in result.items}) == 40
    pages = apiserver.requests_to("/api/v1/pods")
    assert len(pages) == 8
    assert "continue" not in pages[0].query
    assert all(p.query["limit"] == "5" for p in pages)
    assert all("continue" in p.query for p in pages[1:])


def test_expired_continue_token_relists_from_scratch(
    kubeconfig: Path, apiserver: ReplayServer
) -> None:
    # Page 1's token was recorded twice: page 2, and after the compaction 410.
    first = run(_list(kubeconfig, "pods", chunk_size=5))
    assert len(first.items) == 40
    assert first.relists == 0
    second = run(_list(kubeconfig, "pods", chunk_size=5))
    # The second pass hits the recorded 410 on page 2, starts again, and still sees 40 pods.
    assert second.relists >= 1
    assert len(second.items) == 40


def test_namespaced_list_with_label_selector(kubeconfig: Path) -> None:
    result = run(_list(kubeconfig, "pods", namespace="web", labels={"app": "frontend"}))
    assert len(result.items) == 3
    assert all(p["metadata"]["labels"]["app"] == "frontend" for p in result.items)


def test_401_names_credentials(apiserver: ReplayServer, certs: Certs, tmp_path: Path) -> None:
    config = write_kubeconfig(tmp_path / "kc", apiserver.url, certs, token=BAD_TOKEN)
    with pytest.raises(Unauthorized, match="rejected the credentials"):
        run(_list(config, "pods"))


@pytest.mark.parametrize(
    ("plural", "expected"),
    [
        (
            "pods",
            'cannot list resource "pods" in API group "" at the cluster scope: add rule '
            '{apiGroups: [""], resources: ["pods"], verbs: ["list"]} to a ClusterRole bound to '
            "system:serviceaccount:default:nobody",
        ),
        ("nodes", 'add rule {apiGroups: [""], resources: ["nodes"], verbs: ["list"]}'),
    ],
)
def test_403_names_the_missing_rule(
    apiserver: ReplayServer, certs: Certs, tmp_path: Path, plural: str, expected: str
) -> None:
    config = write_kubeconfig(tmp_path / "kc", apiserver.url, certs, token=NOBODY_TOKEN)
    with pytest.raises(Forbidden) as caught:
        run(_list(config, plural))
    assert expected in str(caught.value)
    assert caught.value.rule is not None
    assert caught.value.rule.verb == "list"


def test_403_on_apply_names_patch(apiserver: ReplayServer, certs: Certs, tmp_path: Path) -> None:
    config = write_kubeconfig(tmp_path / "kc", apiserver.url, certs, token=NOBODY_TOKEN)

    async def apply() -> None:
        async with KubeApi(load_target(kubeconfig=config)) as api:
            await api.apply_node_labels("mirt", {"archfit.io/verified": "true"})

    with pytest.raises(Forbidden, match=r'verbs: \["patch"\]'):
        run(apply())


def test_404_missing_namespace_is_input_error(kubeconfig: Path) -> None:
    async def check() -> None:
        async with KubeApi(load_target(kubeconfig=kubeconfig)) as api:
            await api.require_namespace("does-not-exist")

    with pytest.raises(NamespaceNotFound, match="'does-not-exist' does not exist") as caught:
        run(check())
    assert isinstance(caught.value, InputError)


def test_404_missing_pod_and_unserved_group(kubeconfig: Path) -> None:
    async def get() -> None:
        async with KubeApi(load_target(kubeconfig=kubeconfig)) as api:
            await api.get("pods", "does-not-exist", namespace="default")

    with pytest.raises(NotFound, match='pods "does-not-exist" not found'):
        run(get())


def test_unreachable_server(certs: Certs, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = write_kubeconfig(tmp_path / "kc", f"https://127.0.0.1:{port}", certs)
    with pytest.raises(ApiUnreachable, match=f"127.0.0.1:{port}"):
        run(_list(config, "nodes"))


def test_unknown_context_lists_known_ones(kubeconfig: Path) -> None:
    with pytest.raises(KubeConfigError, match=r"context 'prod' not found \(contexts: replay\)"):
        load_target(kubeconfig=kubeconfig, context="prod")


def test_missing_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(KubeConfigError, match="no kubeconfig found"):
        load_target(kubeconfig=tmp_path / "nope")


def test_named_context_selects_its_user(
    apiserver: ReplayServer, certs: Certs, tmp_path: Path
) -> None:
    config = write_kubeconfig(
        tmp_path / "kc", apiserver.url, certs, extra_contexts={"restricted": NOBODY_TOKEN}
    )

    async def go() -> None:
        async with KubeApi(load_target(kubeconfig=config, context="restricted")) as api:
            await api.list_all("nodes")

    with pytest.raises(Forbidden):
        run(go())


def test_in_cluster_service_account(
    apiserver: ReplayServer, certs: Certs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sa = tmp_path / "sa"
    sa.mkdir()
    from tests.integration.kube.replay import ADMIN_TOKEN

    (sa / "token").write_text(ADMIN_TOKEN)
    (sa / "namespace").write_text("archfit")
    (sa / "ca.crt").write_bytes(certs.ca.read_bytes())
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", apiserver.url.rsplit(":", 1)[1])
    target = load_target(service_account_dir=sa)
    assert target.origin == "in-cluster service account"

    async def go() -> Any:
        async with KubeApi(target) as api:
            return await api.list_all("nodes")

    assert len(run(go()).items) == 14


# -- watch ---------------------------------------------------------------------------------


async def _follow(kubeconfig: Path, n: int, **kw: Any) -> list[WatchEvent]:
    events: list[WatchEvent] = []
    async with KubeApi(load_target(kubeconfig=kubeconfig)) as api:
        async for event in api.follow("pods", **kw):
            events.append(event)
            if len(events) >= n:
                break
    return events


def test_watch_stream_decodes_every_event(kubeconfig: Path, apiserver: ReplayServer) -> None:
    events = run(_follow(kubeconfig, 21, resource_version="700"))
    types = [e.type for e in events]
    assert types.count("ADDED") == 4
    assert types.count("DELETED") == 3
    assert types.count("MODIFIED") == 14
    assert events[0].object["metadata"]["name"] == "watch-demo-1"
    assert int(events[-1].resource_version) > 700
    first = apiserver.requests_to("/api/v1/pods")[0]
    assert first.query["resourceVersion"] == "700"
    assert first.query["watch"] in {"true", "1"}


def test_watch_resumes_then_relists_on_410(kubeconfig: Path, apiserver: ReplayServer) -> None:
    watch_demo = '{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},'
    watch_demo += '"status":"Failure","message":"too old resource version","reason":"Expired",'
    watch_demo += '"code":410}}\n'

    def gone(req: Any) -> Response | None:
        if req.query.get("watch") in {"1", "true"}:
            return Response(200, watch_demo.encode(), chunked=True, lines=True)
        return None

    apiserver.fallback = gone
    # 21 recorded events; the watch resumed from the last version gets 410 and is replaced by
    # a relist (SYNC at 700); the watch at 700 then meets the recorded post-restart 410, so a
    # second relist follows before the recorded stream plays again.
    events = run(_follow(kubeconfig, 24, resource_version="700"))
    assert [e.type for e in events[21:]] == ["SYNC", "SYNC", "ADDED"]
    sync = events[21]
    assert len(sync.items) == 40
    assert sync.resource_version == "700"
    watches = [r for r in apiserver.requests_to("/api/v1/pods") if "watch" in r.query]
    last_seen = events[20].resource_version
    assert watches[1].query["resourceVersion"] == last_seen  # resumed, not restarted
    assert watches[2].query["resourceVersion"] == "700"  # after the relist


def test_recorded_410_watch_event_raises_expired(kubeconfig: Path) -> None:
    with pytest.raises(Expired, match=r"too old resource version: 700 \(758\)"):
        run(_drain_twice(kubeconfig))


async def _drain_twice(kubeconfig: Path) -> None:
    # The first watch at 700 is the recorded stream; the second, after the recorded restart,
    # is the ERROR event carrying 410.
    async with KubeApi(load_target(kubeconfig=kubeconfig)) as api:
        seen = []
        async for event in api.watch("pods", resource_version="700"):
            seen.append(event.type)
            if len(seen) == 21:
                break
        assert seen[-1] == "DELETED"
        async for _ in api.watch("pods", resource_version="700"):
            pass


# -- server-side apply ---------------------------------------------------------------------


async def _apply(kubeconfig: Path, node: str, labels: dict[str, str], **kw: Any) -> Any:
    async with KubeApi(load_target(kubeconfig=kubeconfig)) as api:
        return await api.apply_node_labels(node, labels, **kw)


def test_apply_sends_field_manager_and_no_force(kubeconfig: Path, apiserver: ReplayServer) -> None:
    node = run(
        _apply(kubeconfig, "mirt", {"archfit.io/arch": "arm64", "archfit.io/verified": "true"})
    )
    assert node["metadata"]["labels"]["archfit.io/verified"] == "true"
    sent = apiserver.received[-1]
    assert sent.method == "PATCH"
    assert sent.query == {"fieldManager": "archfit"}
    assert sent.headers["Content-Type"] == "application/apply-patch+yaml"
    assert json.loads(sent.body)["metadata"] == {
        "name": "mirt",
        "labels": {"archfit.io/arch": "arm64", "archfit.io/verified": "true"},
    }


def test_apply_conflict_names_field_and_manager(kubeconfig: Path) -> None:
    with pytest.raises(Conflict) as caught:
        run(_apply(kubeconfig, "mirt", {"kubernetes.io/arch": "amd64"}))
    assert caught.value.conflicts == (
        FieldConflict(".metadata.labels.kubernetes.io/arch", "unknown"),
    )


def test_apply_dry_run_sends_dry_run_all(kubeconfig: Path, apiserver: ReplayServer) -> None:
    node = run(
        _apply(
            kubeconfig,
            "volo",
            {"archfit.io/arch": "arm64", "archfit.io/verified": "true"},
            dry_run=True,
        )
    )
    assert node["metadata"]["name"] == "volo"
    assert apiserver.received[-1].query == {"fieldManager": "archfit", "dryRun": "All"}


def test_untrusted_server_certificate(apiserver: ReplayServer, tmp_path: Path) -> None:
    from tests.integration.kube.replay import make_certs

    (tmp_path / "other-ca").mkdir()
    other = make_certs(tmp_path / "other-ca")  # a CA that did not sign the server's certificate
    config = write_kubeconfig(tmp_path / "kc", apiserver.url, other)
    with pytest.raises(ApiUnreachable, match=r"CERTIFICATE_VERIFY_FAILED.*certificate-authority"):
        run(_list(config, "nodes"))


def test_garbage_body_is_a_kube_error(kubeconfig: Path, apiserver: ReplayServer) -> None:
    from archfit.kube.errors import KubeError

    apiserver.add("GET", "/api/v1/nodes", {"limit": "500"}, Response(200, b"{not json"), first=True)
    with pytest.raises(KubeError, match="cannot read"):
        run(_list(kubeconfig, "nodes"))
