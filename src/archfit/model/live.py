"""What only a running cluster shows: pod status, container states, warning events.

Values for the live findings (`exec-format-error`, pods on a node whose arch their images lack,
Pending pods no node of a suitable arch fits, DaemonSet pods failing on one arch only).
`archfit.model.k8s_live` converts the wire shape into these.
"""

from __future__ import annotations

from dataclasses import dataclass

from archfit.model.pod import PodTemplate

__all__ = ["EXEC_FORMAT_ERROR", "ClusterEvent", "ContainerState", "PodState"]

# What the kernel's ENOEXEC looks like in a container's termination message or in an event.
EXEC_FORMAT_ERROR = "exec format error"


@dataclass(frozen=True, slots=True)
class ContainerState:
    """One container's status: the current state's reason and the last termination."""

    name: str
    image: str
    ready: bool = False
    restart_count: int = 0
    state: str = ""  # running | waiting | terminated | ""
    reason: str = ""  # e.g. CrashLoopBackOff, ImagePullBackOff, Error
    message: str = ""
    last_reason: str = ""
    last_message: str = ""
    last_exit_code: int | None = None
    init: bool = False

    @property
    def failing(self) -> bool:
        """Crash-looping, failing to start, or last terminated with an error."""
        return self.reason in _FAILING or (
            not self.ready and self.last_exit_code not in (None, 0) and self.restart_count > 0
        )

    def mentions(self, text: str) -> bool:
        return any(text in m.lower() for m in (self.message, self.last_message))


_FAILING = frozenset(
    {
        "CrashLoopBackOff",
        "Error",
        "RunContainerError",
        "CreateContainerError",
        "StartError",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
    }
)


@dataclass(frozen=True, slots=True)
class PodState:
    """A pod as it runs: where it is, how it is doing, and the images it runs.

    `owner` is `Kind/name` of the controlling object (a ReplicaSet, a DaemonSet, …) and
    `controller` the top-level controller (`Kind/namespace/name`, following ReplicaSet →
    Deployment and Job → CronJob) when known. `template` (the pod's spec as a model value) is
    kept only for pods that are not running, whose placement needs explaining; a large cluster's
    running pods then cost a few hundred bytes each.
    """

    namespace: str
    name: str
    node_name: str | None
    phase: str
    images: tuple[tuple[str, str], ...] = ()  # (container, image) of init and app containers
    containers: tuple[ContainerState, ...] = ()
    owner: str | None = None
    controller: str | None = None
    unschedulable_message: str = ""
    template: PodTemplate | None = None

    @property
    def key(self) -> str:
        return f"Pod/{self.namespace}/{self.name}"

    @property
    def failing(self) -> bool:
        return self.phase == "Failed" or any(c.failing for c in self.containers)


@dataclass(frozen=True, slots=True)
class ClusterEvent:
    """A Warning event about an object (core/v1 Event or events.k8s.io/v1 Event)."""

    namespace: str
    kind: str
    name: str
    reason: str
    message: str
    type: str = "Warning"
    count: int = 1
