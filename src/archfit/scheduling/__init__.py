"""A kube-scheduler-faithful placement simulator (logic, no I/O).

    workloads ─ controllers.expand ─> PodSpecs ─ admission ─> PodInfos
        └─ simulate.Simulation: queue order ─> scheduler.Scheduler (framework + plugins)
              └─ whatif (fail, fail_each, drain), suggest, utilisation ─> results.SimulateReport

`framework/` holds the scheduling framework (statuses, node cache, runtime); `plugins/` one
package per kube-scheduler plugin; `registry` the default profile. Exactness is checked against
cases recorded from a real kube-scheduler (tests/integration/scheduler).
"""

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
