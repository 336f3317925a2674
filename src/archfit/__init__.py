"""archfit: place Kubernetes workloads on mixed-architecture clusters.

The library API (see docs/api.md) is the four commands as functions:

    import archfit
    report = archfit.check("clusters/home")          # CheckReport
    archfit.simulate("clusters/home", fail=["pi-1"]) # SimulateReport
    archfit.fix("clusters/home").diff                # FixOutcome, a dry run by default
    archfit.resolve_images(["nginx:1.27"])           # [Resolution]

The package is layered; imports only flow downwards:

    cli, service          entry points
    usecases              orchestration over protocols
    registry, kube, report, sources   adapters that do I/O, and output rendering
    policy, manifests     logic without I/O
    scheduling            the kube-scheduler model (logic without I/O)
    model                 pure values

`archfit.errors` is the root of every exception archfit raises on purpose. The names below are
loaded on first use, so `import archfit` (which every `archfit` command does first) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archfit._lazy import lazy_getattr

if TYPE_CHECKING:
    from archfit._api import check, fix, resolve_images, simulate
    from archfit.errors import ArchfitError, InputError
    from archfit.model.check import CheckReport
    from archfit.registry import Resolution, ResolverConfig
    from archfit.scheduling.results import SimulateReport
    from archfit.usecases.fix import FixOutcome

__version__ = "0.1.0"
__all__ = [
    "ArchfitError",
    "CheckReport",
    "FixOutcome",
    "InputError",
    "Resolution",
    "ResolverConfig",
    "SimulateReport",
    "__version__",
    "check",
    "fix",
    "resolve_images",
    "simulate",
]

_WHERE = {
    "ArchfitError": "archfit.errors",
    "CheckReport": "archfit.model.check",
    "FixOutcome": "archfit.usecases.fix",
    "InputError": "archfit.errors",
    "Resolution": "archfit.registry",
    "ResolverConfig": "archfit.registry",
    "SimulateReport": "archfit.scheduling.results",
    "check": "archfit._api",
    "fix": "archfit._api",
    "resolve_images": "archfit._api",
    "simulate": "archfit._api",
}


__getattr__ = lazy_getattr(__name__, _WHERE)


def __dir__() -> list[str]:
    return sorted(__all__)
