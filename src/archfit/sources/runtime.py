"""Process-wide switches: pausing the garbage collector while decoding, and the names of the
environment variables entry points read (`archfit.sources.settings`).

The logic layers never flip them; the readers of this package pause the collector around their
own work and restore it, and the decoding workers of `archfit.sources.parallel` (each its own
process) pause it for their lifetime.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["ENV_HELM", "ENV_JOBS", "gc_paused"]

ENV_JOBS = "ARCHFIT_JOBS"
ENV_HELM = "ARCHFIT_HELM"


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building many small acyclic objects.

    Decoding a large tree allocates millions of dicts, lists and strings; each allocation
    burst triggers collections that walk the whole growing heap, which costs about a third
    of the reading time. Nothing built while reading forms reference cycles, so pausing is
    safe; the previous state is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
