"""Shared inputs of the webhook tests: the recorded requests, the recorded cluster's nodes, and
image platforms written by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from archfit.model.image import ImageRef
from archfit.model.imageinfo import ImageInfo
from archfit.model.k8s import node_from_k8s
from archfit.model.node import Node
from archfit.model.platform import Platform

AMD64 = (Platform("linux", "amd64"),)
BOTH = (Platform("linux", "amd64"), Platform("linux", "arm64"))

# What each recorded image ships, decided here (not read from anywhere).
PLATFORMS: dict[str, tuple[Platform, ...]] = {
    "nginx:1.27": AMD64,
    "nginx:1.28": AMD64,
    "busybox:1.36": BOTH,
    "ghcr.io/example/proxy:2.0": BOTH,
    "ghcr.io/example/app:1.0@sha256:" + "a" * 64: AMD64,
    "localhost:5000/metrics:latest": BOTH,
    "redis:7": BOTH,
    "postgres:16": BOTH,
    "prom/node-exporter:v1.8.2": AMD64,
    "python:3.12-slim": BOTH,
    "ghcr.io/example/tool:1.0": AMD64,
}


def infos(table: dict[str, tuple[Platform, ...]]) -> dict[ImageRef, ImageInfo]:
    out = {}
    for text, platforms in table.items():
        ref = ImageRef.parse(text)
        out[ref] = ImageInfo(ref, "resolved", "sha256:" + "1" * 64, platforms)
    return out


@pytest.fixture(scope="session")
def requests_dir(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "admission" / "requests"


@pytest.fixture(scope="session")
def recorded_nodes(shared_dir: Path) -> tuple[Node, ...]:
    path = (
        shared_dir / "fixtures" / "scheduler" / "cases" / "01-arch-required-affinity" / "nodes.yaml"
    )
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(node_from_k8s(item) for item in doc["items"])


def load(requests_dir: Path, number: str) -> dict[str, Any]:
    (path,) = requests_dir.glob(f"{number}-*.json")
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return body
