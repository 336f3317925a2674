"""Shared fixtures. `shared_dir` points at the project's shared fixtures (../shared beside the
checkout, or $ARCHFIT_SHARED); tests that need it skip with the reason when it is absent and
fail instead under CI, where it is always present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Tests never reach the internet: a check without a lockfile would otherwise ask Docker Hub.
# Tests of the online first run clear this and point at loopback registries.
os.environ["ARCHFIT_OFFLINE"] = "1"

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def _shared_path() -> Path:
    return Path(os.environ.get("ARCHFIT_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    path = _shared_path()
    if not (path / "fixtures").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared fixtures missing at {path} (CI always has them)")
        pytest.skip(f"shared fixtures not found at {path}; set ARCHFIT_SHARED to run this test")
    return path


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
