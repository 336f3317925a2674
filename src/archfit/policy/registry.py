"""The list of policy rules, in the order they run within their phase."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from archfit.policy.framework import Rule
from archfit.policy.rules.arch import ArchRule
from archfit.policy.rules.daemonset import DaemonSetRule
from archfit.policy.rules.floating_tag import FloatingTagRule
from archfit.policy.rules.gpu import GpuRule
from archfit.policy.rules.light import LightWorkloadRule
from archfit.policy.rules.size import SizeRule
from archfit.policy.rules.storage import StorageRule
from archfit.policy.rules.unresolved import UnresolvedImageRule
from archfit.policy.rules.user_choice import UserChoiceRule
from archfit.policy.settings import Settings

__all__ = [
    "ELIGIBILITY_RULE",
    "PLACEMENT_CONFLICT",
    "RULES",
    "UNSCHEDULABLE",
    "RuleType",
    "build_rules",
    "finding_ids",
    "rule_names",
]


class RuleType(Protocol):
    """A rule class: its name and finding ids, and a constructor taking the settings."""

    @property
    def name(self) -> str: ...
    @property
    def finding_ids(self) -> tuple[str, ...]: ...
    def __call__(self, settings: Settings) -> Rule: ...


RULES: tuple[RuleType, ...] = (
    UnresolvedImageRule,
    UserChoiceRule,
    ArchRule,
    DaemonSetRule,
    GpuRule,
    StorageRule,
    SizeRule,
    FloatingTagRule,
    LightWorkloadRule,
)

# The engine's own check: does any inventory node take the workload once the placement applies?
ELIGIBILITY_RULE = "eligibility"
UNSCHEDULABLE = "unschedulable"
# The rules' requirements together would leave no node for a pod that has one as written.
PLACEMENT_CONFLICT = "placement-conflict"


def rule_names() -> frozenset[str]:
    return frozenset({rule.name for rule in RULES} | {ELIGIBILITY_RULE})


def finding_ids() -> frozenset[str]:
    return frozenset(
        {fid for rule in RULES for fid in rule.finding_ids} | {UNSCHEDULABLE, PLACEMENT_CONFLICT}
    )


def build_rules(settings: Settings) -> Sequence[Rule]:
    """Every enabled rule, constructed with the settings."""
    return tuple(rule(settings) for rule in RULES if rule.name not in settings.rules.disabled)
