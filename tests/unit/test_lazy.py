"""The lazy re-exports of `archfit` and `archfit.scheduling`."""

from __future__ import annotations

import sys
import types

import pytest

from archfit._lazy import lazy_getattr


def test_a_name_is_imported_on_first_use_and_then_kept() -> None:
    package = types.ModuleType("lazy_fixture")
    sys.modules["lazy_fixture"] = package
    try:
        load = lazy_getattr("lazy_fixture", {"JSONDecodeError": "json"})
        value = load("JSONDecodeError")
        assert value.__name__ == "JSONDecodeError"
        assert vars(package)["JSONDecodeError"] is value
    finally:
        del sys.modules["lazy_fixture"]


def test_an_unknown_name_is_an_attribute_error_naming_the_package() -> None:
    load = lazy_getattr("archfit.scheduling", {})
    with pytest.raises(AttributeError, match=r"module 'archfit.scheduling' has no attribute 'x'"):
        load("x")


def test_the_packages_export_what_their_all_lists() -> None:
    import archfit
    import archfit.scheduling

    for package in (archfit, archfit.scheduling):
        for name in package.__all__:
            assert getattr(package, name) is not None, name
    with pytest.raises(AttributeError):
        _ = archfit.not_a_name
