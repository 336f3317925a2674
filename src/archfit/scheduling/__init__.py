"""A kube-scheduler-faithful placement simulator (logic, no I/O).

    workloads ─ controllers.expand ─> PodSpecs ─ admission ─> PodInfos
        └─ simulate.Simulation: queue order ─> scheduler.Scheduler (framework + plugins)
              └─ whatif (fail, fail_each, drain), suggest, utilisation ─> results.SimulateReport

`framework/` holds the scheduling framework (statuses, node cache, runtime); `plugins/` one
package per kube-scheduler plugin; `registry` the default profile. Exactness is checked against
cases recorded from a real kube-scheduler (tests/integration/scheduler).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archfit._lazy import lazy_getattr

if TYPE_CHECKING:
    from archfit.scheduling.scheduler import Decision, ReservoirTieBreaker, Scheduler
    from archfit.scheduling.simulate import PodResult, Simulation, SimulationConfig

__all__ = [
    "Decision",
    "PodResult",
    "ReservoirTieBreaker",
    "Scheduler",
    "Simulation",
    "SimulationConfig",
]

# Loaded on first use: `archfit check` needs only the Filter plugins (`nodefilter`), not the
# simulator and its numpy fast path.
_WHERE = {
    "Decision": "archfit.scheduling.scheduler",
    "ReservoirTieBreaker": "archfit.scheduling.scheduler",
    "Scheduler": "archfit.scheduling.scheduler",
    "PodResult": "archfit.scheduling.simulate",
    "Simulation": "archfit.scheduling.simulate",
    "SimulationConfig": "archfit.scheduling.simulate",
}


__getattr__ = lazy_getattr(__name__, _WHERE)
