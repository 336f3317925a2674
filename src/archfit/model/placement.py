"""Placement: where a workload may run, as the policy decides it.

`required` holds node-selector requirements that must be ANDed into every existing
`nodeSelectorTerm` of the workload (and form the only term when it has none); `preferred` holds
preferred terms added once. `allowed_architectures` is None when nothing constrains the
architecture (no image information and no user choice). `renamed_keys` holds (old, new) node
label keys to rename where the workload selects by them (a deprecated label and its successor,
which nodes carry with the same values).
"""

from __future__ import annotations

from dataclasses import dataclass

from archfit.model.pod import PreferredSchedulingTerm
from archfit.model.selectors import NodeSelectorRequirement

__all__ = ["Placement"]


@dataclass(frozen=True, slots=True)
class Placement:
    allowed_architectures: frozenset[str] | None = None
    required: tuple[NodeSelectorRequirement, ...] = ()
    preferred: tuple[PreferredSchedulingTerm, ...] = ()
    renamed_keys: tuple[tuple[str, str], ...] = ()

    @property
    def unconstrained(self) -> bool:
        return not self.required and not self.preferred and not self.renamed_keys
