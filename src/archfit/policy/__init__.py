"""The placement policy: the strategy's decisions as rules, and the engine that combines them.

Logic only, no I/O: image platforms arrive through the `ImagePlatforms` protocol, settings as a
decoded document (`parse_settings`), nodes and workloads as model values.
"""

from archfit.policy.engine import IGNORE_ANNOTATION, Engine
from archfit.policy.framework import RuleContext, RuleResult, StorageIndex
from archfit.policy.images import ImagePlatforms, LockfileImages
from archfit.policy.registry import RULES, build_rules, finding_ids, rule_names
from archfit.policy.settings import Settings, parse_settings

__all__ = [
    "IGNORE_ANNOTATION",
    "RULES",
    "Engine",
    "ImagePlatforms",
    "LockfileImages",
    "RuleContext",
    "RuleResult",
    "Settings",
    "StorageIndex",
    "build_rules",
    "finding_ids",
    "parse_settings",
    "rule_names",
]
