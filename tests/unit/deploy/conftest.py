"""Fixtures of the chart tests: the recorded API server's OpenAPI schemas."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.openapi import ApiSchemas


@pytest.fixture(scope="session")
def api_schemas(shared_dir: Path) -> ApiSchemas:
    return ApiSchemas.load(shared_dir / "fixtures" / "apiserver" / "openapi" / "v3")
