"""archfit: place Kubernetes workloads on mixed-architecture clusters.

The package is layered; imports only flow downwards:

    cli, service          entry points
    usecases              orchestration over protocols
    registry, kube, report adapters that do I/O, and output rendering
    policy, scheduling, manifests   logic without I/O
    model                 pure values

`archfit.errors` is the root of every exception archfit raises on purpose.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
