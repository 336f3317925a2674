"""What changed between the Kubernetes versions archfit can imitate.

Only differences a user can see in placements or messages are modelled:

- 1.32: TaintToleration says `node(s) had untolerated taint {key: value}`; no PostFilter prefix;
  NodeResourcesFit is always Unschedulable (preemption is tried); BalancedAllocation scores
  BestEffort pods; only app containers' host ports count.
- 1.33: NodeResourcesFit is UnschedulableAndUnresolvable when a request exceeds the node's whole
  allocatable; BalancedAllocation skips BestEffort pods; sidecar host ports count.
- 1.34 (latest patch): as 1.33, plus DynamicResources' PostFilter opens the PostFilter part with
  `no new claims to deallocate, ` and the taint reason is `node(s) had untolerated taint(s)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from archfit.errors import InputError

__all__ = ["SUPPORTED_VERSIONS", "Semantics", "semantics_for"]

SUPPORTED_VERSIONS = ("1.32", "1.33", "1.34")


@dataclass(frozen=True, slots=True)
class Semantics:
    version: str
    generic_taint_reason: bool
    dra_post_filter: bool
    fit_unresolvable_over_allocatable: bool
    balanced_skips_best_effort: bool
    sidecar_host_ports: bool

    def taint_reason(self, key: str, value: str) -> str:
        if self.generic_taint_reason:
            return "node(s) had untolerated taint(s)"
        return f"node(s) had untolerated taint {{{key}: {value}}}"


def semantics_for(version: str) -> Semantics:
    """Semantics of a `major.minor` version (a patch or `v` prefix is accepted and ignored)."""
    text = version.strip().lstrip("v")
    parts = text.split(".")
    minor = ".".join(parts[:2])
    if minor not in SUPPORTED_VERSIONS:
        raise InputError(
            f"unsupported Kubernetes version {version!r}; expected one of "
            + ", ".join(SUPPORTED_VERSIONS),
            where="--kubernetes-version",
        )
    newer = minor != "1.32"
    return Semantics(
        version=minor,
        generic_taint_reason=minor == "1.34",
        dra_post_filter=minor == "1.34",
        fit_unresolvable_over_allocatable=newer,
        balanced_skips_best_effort=newer,
        sidecar_host_ports=newer,
    )
