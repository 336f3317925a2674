"""The scheduling framework: verdicts (`Status`), per-cycle state, the node cache
(`NodeInfo`, `Cluster`), extension-point contracts and the runtime that runs a profile.

    status ← pod ← nodeinfo ← cluster ← interface ← runtime
"""

from archfit.scheduling.framework.cluster import Cluster, DisruptionBudget, Service, Storage
from archfit.scheduling.framework.interface import CycleState, Diagnosis, Handle, TieBreaker
from archfit.scheduling.framework.nodeinfo import NodeInfo
from archfit.scheduling.framework.pod import AffinityTerm, PodInfo
from archfit.scheduling.framework.runtime import Framework, ProfileEntry
from archfit.scheduling.framework.status import Code, Status
from archfit.scheduling.framework.version import SUPPORTED_VERSIONS, Semantics, semantics_for

__all__ = [
    "SUPPORTED_VERSIONS",
    "AffinityTerm",
    "Cluster",
    "Code",
    "CycleState",
    "Diagnosis",
    "DisruptionBudget",
    "Framework",
    "Handle",
    "NodeInfo",
    "PodInfo",
    "ProfileEntry",
    "Semantics",
    "Service",
    "Status",
    "Storage",
    "TieBreaker",
    "semantics_for",
]
