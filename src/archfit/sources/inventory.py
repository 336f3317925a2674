"""Reading a cluster inventory file; its forms and checks are `archfit.manifests.inventory`."""

from __future__ import annotations

from pathlib import Path

from archfit.errors import InputError
from archfit.manifests.inventory import Inventory, parse_inventory

__all__ = ["load_inventory"]


def load_inventory(path: Path | str) -> Inventory:
    """Read a cluster inventory file in any of the accepted forms (`InputError` naming the file
    when it is missing, unreadable or wrong)."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise InputError("no such cluster file", where=file)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror or err}", where=file) from None
    return parse_inventory(data, file, name=path.stem)
