"""Plugin names to constructors, and the default profile (order and score weights).

Filters run in profile order, which is why a tainted control plane reports its taint even to
a pod whose node selector would not match it. The 1.34 profile adds DynamicResources, whose
PostFilter runs before preemption.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from archfit.scheduling.framework.interface import Handle
from archfit.scheduling.framework.runtime import ProfileEntry
from archfit.scheduling.framework.version import Semantics
from archfit.scheduling.plugins.defaultpreemption import DefaultPreemption
from archfit.scheduling.plugins.dynamicresources import DynamicResources
from archfit.scheduling.plugins.imagelocality import ImageLocality
from archfit.scheduling.plugins.interpodaffinity import InterPodAffinity
from archfit.scheduling.plugins.nodeaffinity import NodeAffinity
from archfit.scheduling.plugins.nodename import NodeName
from archfit.scheduling.plugins.nodeports import NodePorts
from archfit.scheduling.plugins.noderesources import BalancedAllocation, Fit
from archfit.scheduling.plugins.nodeunschedulable import NodeUnschedulable
from archfit.scheduling.plugins.podtopologyspread import PodTopologySpread
from archfit.scheduling.plugins.tainttoleration import TaintToleration
from archfit.scheduling.plugins.volumebinding import VolumeBinding

__all__ = ["REGISTRY", "default_profile"]

Factory = Callable[[Handle, Any], Any]

REGISTRY: dict[str, Factory] = {
    "NodeUnschedulable": NodeUnschedulable,
    "NodeName": NodeName,
    "TaintToleration": TaintToleration,
    "NodeAffinity": NodeAffinity,
    "NodePorts": NodePorts,
    "NodeResourcesFit": Fit,
    "VolumeBinding": VolumeBinding,
    "PodTopologySpread": PodTopologySpread,
    "InterPodAffinity": InterPodAffinity,
    "DynamicResources": DynamicResources,
    "DefaultPreemption": DefaultPreemption,
    "NodeResourcesBalancedAllocation": BalancedAllocation,
    "ImageLocality": ImageLocality,
}


def default_profile(semantics: Semantics) -> tuple[ProfileEntry, ...]:
    """`default-scheduler` in MultiPoint order. VolumeRestrictions, NodeVolumeLimits and
    VolumeZone are not modelled (they need attach limits and cloud zones archfit does not
    read)."""
    entries = [
        ProfileEntry("NodeUnschedulable"),
        ProfileEntry("NodeName"),
        ProfileEntry("TaintToleration", 3),
        ProfileEntry("NodeAffinity", 2),
        ProfileEntry("NodePorts"),
        ProfileEntry("NodeResourcesFit", 1),
        ProfileEntry("VolumeBinding", 1),
        ProfileEntry("PodTopologySpread", 2),
        ProfileEntry("InterPodAffinity", 2),
    ]
    if semantics.dra_post_filter:
        entries.append(ProfileEntry("DynamicResources"))
    entries += [
        ProfileEntry("DefaultPreemption"),
        ProfileEntry("NodeResourcesBalancedAllocation", 1),
        ProfileEntry("ImageLocality", 1),
    ]
    return tuple(entries)
