"""Live findings on the recorded cluster and on hand-built pod states."""

from __future__ import annotations

import asyncio
from pathlib import Path

from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.model.live import ContainerState, PodState
from archfit.model.node import Node
from archfit.model.platform import Platform
from archfit.model.pod import PodTemplate
from archfit.usecases.live import collect_live
from archfit.usecases.live_findings import daemonset_arch_failures, pending_no_arch


class Platforms:
    """Image platforms answered from a table (what the lockfile would say)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    def lookup(self, ref: ImageRef) -> ImageInfo | None:
        for image, platforms in self.table.items():
            if ImageRef.parse(image) == ref:
                return ImageInfo(ref, "resolved", "sha256:0", tuple(map(Platform.parse, platforms)))
        return None


def test_exec_format_error_names_image_and_node_arch(kubeconfig: Path) -> None:
    live = asyncio.run(collect_live(kubeconfig=kubeconfig))
    found = [f for f in live.findings if f.id == "exec-format-error"]
    assert len(found) == 1
    finding = found[0]
    assert finding.subject == "Deployment/web/legacy-app"
    assert finding.details["image"] == "registry.example.com/legacy-app:1.4.2"
    assert finding.details["arch"] == "arm64"
    assert finding.details["evidence"] == "termination message"
    assert "exec format error" in finding.message
    assert f"node {finding.details['node']} (arm64)" in finding.message
    # Without image platforms nothing else is claimed.
    assert [f.id for f in live.findings] == ["exec-format-error"]


def test_wrong_arch_uses_image_platforms(kubeconfig: Path) -> None:
    images = Platforms({"registry.example.com/legacy-app:1.4.2": ["linux/amd64"]})
    live = asyncio.run(collect_live(kubeconfig=kubeconfig, images=images))
    ids = sorted(f.id for f in live.findings)
    assert ids == ["exec-format-error", "running-on-wrong-arch"]
    wrong = next(f for f in live.findings if f.id == "running-on-wrong-arch")
    assert "ships only amd64" in wrong.message
    exec_error = next(f for f in live.findings if f.id == "exec-format-error")
    assert "the image ships amd64, not arm64" in exec_error.message


NODES = {
    "pi": Node("pi", Platform.parse("arm64"), labels={"kubernetes.io/arch": "arm64"}),
    "x86": Node("x86", Platform.parse("amd64"), labels={"kubernetes.io/arch": "amd64"}),
}


def _pod(name: str, **kw: object) -> PodState:
    return PodState(namespace="web", name=name, **kw)  # type: ignore[arg-type]


def test_pending_pod_whose_selector_admits_no_arch() -> None:
    pending = _pod(
        "p",
        node_name=None,
        phase="Pending",
        images=(("app", "nginx"),),
        template=PodTemplate(node_selector={"kubernetes.io/arch": "riscv64"}),
        controller="Deployment/web/p",
    )
    found = pending_no_arch([pending], NODES, None)
    assert len(found) == 1
    assert "admit no node" in found[0].message
    assert found[0].subject == "Deployment/web/p"


def test_pending_pod_whose_images_miss_the_selected_arch() -> None:
    pending = _pod(
        "p",
        node_name=None,
        phase="Pending",
        images=(("app", "example.com/x86-only:1"),),
        template=PodTemplate(node_selector={"kubernetes.io/arch": "arm64"}),
    )
    images = Platforms({"example.com/x86-only:1": ["linux/amd64"]})
    found = pending_no_arch([pending], NODES, images)
    assert len(found) == 1
    assert "ship ['amd64'] but the nodes it selects are ['arm64']" in found[0].message
    # A pod that some node admits and runs is not reported.
    ok = _pod("q", node_name=None, phase="Pending", images=(), template=PodTemplate())
    assert pending_no_arch([ok], NODES, None) == []


def test_daemonset_failing_on_one_arch_only() -> None:
    crash = (ContainerState("agent", "img", reason="CrashLoopBackOff", restart_count=3),)
    fine = (ContainerState("agent", "img", ready=True, state="running"),)
    pods = [
        _pod("a", node_name="pi", phase="Running", containers=crash, controller="DaemonSet/m/a"),
        _pod("b", node_name="x86", phase="Running", containers=fine, controller="DaemonSet/m/a"),
        _pod("c", node_name="x86", phase="Running", containers=crash, controller="DaemonSet/m/c"),
    ]
    found = daemonset_arch_failures(pods, NODES)
    assert [f.subject for f in found] == ["DaemonSet/m/a"]
    assert found[0].details == {"failing_arches": ["arm64"], "healthy_arches": ["amd64"]}


def test_exec_format_error_from_an_event_alone() -> None:
    from archfit.model.live import ClusterEvent
    from archfit.usecases.live_findings import exec_format_errors

    crash = (ContainerState("agent", "example.com/agent:2", reason="CrashLoopBackOff"),)
    pod = _pod(
        "agent-x1",
        node_name="pi",
        phase="Running",
        images=(("agent", "example.com/agent:2"),),
        containers=crash,
        controller="DaemonSet/m/agent",
    )
    event = ClusterEvent(
        "web", "Pod", "agent-x1", "Failed", "Error: failed to start: exec /agent: exec format error"
    )
    found = exec_format_errors([pod], [event], NODES, None)
    assert len(found) == 1
    assert found[0].details["evidence"] == "event"
    assert found[0].details["arch"] == "arm64"
    assert found[0].subject == "DaemonSet/m/agent"
    # Without the event there is nothing to say: a crash loop alone is not an arch problem.
    assert exec_format_errors([pod], [], NODES, None) == []


def test_pending_finding_quotes_the_failed_scheduling_event() -> None:
    from archfit.model.live import ClusterEvent

    pending = _pod(
        "p",
        node_name=None,
        phase="Pending",
        images=(),
        template=PodTemplate(node_selector={"kubernetes.io/arch": "s390x"}),
    )
    said = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
    event = ClusterEvent("web", "Pod", "p", "FailedScheduling", said)
    found = pending_no_arch([pending], NODES, None, [event])
    assert found[0].message.endswith(f"the scheduler says: {said}")
