"""The Containerfile the chart's image is built from. It cannot be built here (no container
engine), so what the chart relies on is read from the file itself: a multi-arch slim Python
base, the extras the servers import, the non-root user the pods run as, the entrypoint."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
CONTAINERFILE = ROOT / "Containerfile"


def _instructions() -> list[tuple[str, str]]:
    text = CONTAINERFILE.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out


def test_two_stages_on_the_official_slim_python_image() -> None:
    instructions = _instructions()
    bases = [rest for word, rest in instructions if word == "FROM"]
    (python_arg,) = [rest for word, rest in instructions if word == "ARG"]

    # docker.io/library/python publishes linux/amd64 and linux/arm64/v8 for every slim tag.
    assert bases == [
        "docker.io/library/python:${PYTHON_VERSION}-slim-bookworm AS build",
        "docker.io/library/python:${PYTHON_VERSION}-slim-bookworm",
    ]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert python_arg == "PYTHON_VERSION=3.11"
    assert project["requires-python"] == ">=3.11"


def test_installs_the_extras_of_the_servers_and_not_the_helm_sdk() -> None:
    runs = " ".join(rest for word, rest in _instructions() if word == "RUN")
    (spec,) = re.findall(r'pip install "\.\[([^\]]*)\]"', runs)
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]

    assert spec.split(",") == ["service", "registry", "kube", "fix"]
    assert set(spec.split(",")) <= set(extras)
    assert "helm" not in spec.split(",")


def test_runs_as_the_chart_s_non_root_user_with_archfit_as_entrypoint() -> None:
    instructions = _instructions()
    values = yaml.safe_load((ROOT / "deploy" / "helm" / "archfit" / "values.yaml").read_text())

    assert ("USER", "65532:65532") in instructions
    assert instructions[-2:] == [("ENTRYPOINT", '["archfit"]'), ("CMD", '["--help"]')]
    # The last USER wins: nothing after it switches back to root.
    users = [rest for word, rest in instructions if word == "USER"]
    assert users == ["65532:65532"]
    assert ("EXPOSE", "8443 9090") in instructions
    assert values["webhook"]["service"]["port"] == 443
    assert values["exporter"]["service"]["port"] == 9090


def test_build_context_is_limited_to_what_is_copied() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    copies = [rest for word, rest in _instructions() if word == "COPY"]

    assert ignore[1:5] == ["*", "!pyproject.toml", "!README.md", "!src/"]
    assert copies == [
        "pyproject.toml README.md ./",
        "src ./src",
        "--from=build /opt/archfit /opt/archfit",
    ]
