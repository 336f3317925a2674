"""Names a package exports but imports on first use (a PEP 562 module `__getattr__`).

`import archfit` runs before every command, and `archfit check` needs only part of
`archfit.scheduling`; what they re-export is imported when first asked for, then kept in the
package's namespace so later lookups never come back here. Depends on nothing in archfit, so
every layer may use it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """The `__getattr__` of `package`: each name of `where` is imported from the module it maps
    to; any other name is an `AttributeError`, as for a module without one."""

    def load(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return load
