"""What the DaemonSet controller adds to the pods it creates (`AddOrUpdateDaemonPodTolerations`).

Pure data shared by the policy (which nodes a DaemonSet lands on) and the simulator (the pods
the controller creates).
"""

from __future__ import annotations

from archfit.model.pod import PodTemplate
from archfit.model.selectors import Toleration

__all__ = ["DAEMONSET_TOLERATIONS", "daemonset_tolerations"]

DAEMONSET_TOLERATIONS: tuple[Toleration, ...] = (
    Toleration("node.kubernetes.io/not-ready", "Exists", effect="NoExecute"),
    Toleration("node.kubernetes.io/unreachable", "Exists", effect="NoExecute"),
    Toleration("node.kubernetes.io/disk-pressure", "Exists", effect="NoSchedule"),
    Toleration("node.kubernetes.io/memory-pressure", "Exists", effect="NoSchedule"),
    Toleration("node.kubernetes.io/pid-pressure", "Exists", effect="NoSchedule"),
    Toleration("node.kubernetes.io/unschedulable", "Exists", effect="NoSchedule"),
)
# Added only to host-network pods, which do not need the pod network to start.
_NETWORK_UNAVAILABLE = Toleration(
    "node.kubernetes.io/network-unavailable", "Exists", effect="NoSchedule"
)


def daemonset_tolerations(template: PodTemplate) -> tuple[Toleration, ...]:
    """The pod's tolerations plus the ones the DaemonSet controller adds."""
    extra = DAEMONSET_TOLERATIONS + ((_NETWORK_UNAVAILABLE,) if template.host_network else ())
    return template.tolerations + tuple(t for t in extra if t not in template.tolerations)
