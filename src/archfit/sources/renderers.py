"""The renderers of `archfit.manifests.renderers`: programs and libraries that render manifests.

Kustomize: `kustomize build` when `kustomize` is on PATH, else `kubectl kustomize` when `kubectl`
answers within a few seconds (it may be a stub); None when neither works here.

Helm, rendering a local chart (directory or `.tgz` archive) as `helm template` does; two
renderers, tried in this order:

1. a helm binary on PATH (or the one the caller names; the CLI takes it from `ARCHFIT_HELM`):
   `helm template`;
2. the Helm SDK for Python (`helm-python-sdk`, module `helm_python`, installed by the `helm`
   extra), which embeds Helm's own template engine; its `Chart.render` works offline (the
   `lookup` template function returns nothing) and is only ever given a local chart.

Both raise `InputError` with a one-line reason when the chart does not render; neither pulls a
chart or contacts a cluster.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from archfit.errors import InputError
from archfit.manifests.renderers import KustomizeBuild, Renderers

__all__ = [
    "HELM_TIMEOUT_S",
    "KUSTOMIZE_TIMEOUT_S",
    "SDK_MODULE",
    "KustomizeCommand",
    "Renderer",
    "helm_binary",
    "installed",
    "kustomize_command",
    "renderer",
]

HELM_TIMEOUT_S = 60
KUSTOMIZE_TIMEOUT_S = 30
PROBE_TIMEOUT_S = 5
SDK_MODULE = "helm_python"


def helm_binary(configured: str | None = None) -> str | None:
    """The helm binary: `configured` (a path, or a name looked up on PATH) when given, else
    `helm` on PATH; None when there is none."""
    if configured:
        return configured if Path(configured).exists() else shutil.which(configured)
    return shutil.which("helm")


@dataclass(frozen=True, slots=True)
class Renderer:
    """How charts are rendered here: `binary` is the helm executable, or None for the SDK."""

    binary: str | None

    @property
    def name(self) -> str:
        return "helm template" if self.binary else "the Helm SDK (helm-python-sdk)"

    def render(self, chart: Path, name: str, namespace: str, values: Mapping[str, Any]) -> str:
        """The rendered objects of release `name` in `namespace` as one YAML stream."""
        if self.binary:
            return _template(self.binary, chart, name, namespace, values)
        return _sdk_render(chart, name, namespace, values)


def renderer(helm: str | None = None) -> Renderer | None:
    """The helm binary (`helm`, see `helm_binary`) when there is one, else the SDK when it is
    installed, else None."""
    binary = helm_binary(helm)
    if binary:
        return Renderer(binary)
    if importlib.util.find_spec(SDK_MODULE) is not None:
        return Renderer(None)
    return None


def installed(*, helm: str | None = None) -> Renderers:
    """The renderers this machine has: Kustomize looked for on first use (probing `kubectl`
    costs a process, and most inputs need no rendering), Helm now (None when there is none;
    `helm` names the binary, see `helm_binary`)."""
    return Renderers(kustomize=KustomizeCommand(), helm=renderer(helm))


@dataclass(frozen=True, slots=True)
class KustomizeCommand:
    """Builds kustomizations by running `command`, by default `kustomize_command()` (`kustomize
    build` or `kubectl kustomize`); every build gives no output and no error when there is
    neither."""

    command: tuple[str, ...] | None = None

    def build(self, directory: Path) -> KustomizeBuild:
        """`command` run on a kustomization in a temporary directory that only lists
        `directory` and asks for Kustomize's origin annotations (`buildMetadata:
        [originAnnotations]`), so the user's files are never touched."""
        command = self.command or kustomize_command()
        if command is None:
            return KustomizeBuild(None)
        tool = " ".join(command)
        with tempfile.TemporaryDirectory(prefix="archfit-kustomize-") as wrapper:
            target = os.path.relpath(Path(directory).resolve(), wrapper)
            Path(wrapper, "kustomization.yaml").write_text(
                f"resources:\n- {json.dumps(target)}\nbuildMetadata: [originAnnotations]\n"
            )
            rendered, error = _run([*command, wrapper], KUSTOMIZE_TIMEOUT_S)
        if rendered is None:
            return KustomizeBuild(None, error, tool)
        return KustomizeBuild(rendered, None, tool, Path(wrapper))


@lru_cache(maxsize=1)
def kustomize_command() -> tuple[str, ...] | None:
    """The command that renders a kustomization directory, or None when none works here."""
    if shutil.which("kustomize"):
        return ("kustomize", "build")
    if shutil.which("kubectl"):
        probe = _output(["kubectl", "kustomize", "--help"], PROBE_TIMEOUT_S)
        if probe is not None and "kustomiz" in probe.lower():
            return ("kubectl", "kustomize")
    return None


def _output(args: list[str], timeout: float) -> str | None:
    """What `args` writes on stdout, or None when it cannot run, times out or fails."""
    text, _ = _run(args, timeout)
    return text


# kubectl logs through klog: `E1204 01:12:47.769747 23318 run.go:72] "command failed" err="…"`.
_KLOG = re.compile(r'^[EWIF]\d{4} [\d:.]+\s+\d+ [^\]]+\] "command failed" err="?')


def _run(args: list[str], timeout: float) -> tuple[str | None, str]:
    """stdout (None on failure) and, on failure, the first line of what went wrong."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, f"{args[0]} did not finish within {timeout:g} s"
    except OSError as err:
        return None, f"{args[0]} cannot run: {err.strerror or err}"
    if done.returncode == 0:
        return done.stdout, ""
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    if not lines:
        return None, f"{args[0]} exited with {done.returncode}"
    return None, _KLOG.sub("", lines[0]).removeprefix("Error: ")


# `.Capabilities.KubeVersion` the Helm SDK's engine renders with. A helm binary defaults to the
# version it was built against (v3.8 says v1.23), so charts gated on `kubeVersion` would render
# with one renderer and fail with the other; the binary is told the same version.
HELM_KUBE_VERSION = "v1.36.0"


def _template(helm: str, chart: Path, name: str, namespace: str, values: Mapping[str, Any]) -> str:
    with tempfile.TemporaryDirectory(prefix="archfit-helm-") as tmp:
        values_file = Path(tmp) / "values.yaml"
        values_file.write_text(yaml.safe_dump(dict(values), sort_keys=False))
        cmd = [helm, "template", name, str(chart), "--namespace", namespace]
        cmd += ["--kube-version", HELM_KUBE_VERSION]
        cmd += ["--values", str(values_file)]
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=HELM_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise InputError(f"could not run helm: {err}") from None
    if done.returncode != 0:
        # The first line says what failed; helm often ends with "Use --debug flag to …".
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        first = lines[0].removeprefix("Error: ") if lines else f"helm exited with {done.returncode}"
        raise InputError(first[:300])
    return done.stdout


def _sdk_render(chart: Path, name: str, namespace: str, values: Mapping[str, Any]) -> str:
    # Imported here: loading the SDK loads Helm's engine (a native library of ~75 MB).
    try:
        import helm_python  # noqa: PLC0415 - optional, heavy
    except Exception as err:  # noqa: BLE001 - a library built for another system fails here
        raise InputError(f"could not load helm-python-sdk: {_one_line(err)}") from None
    try:
        with helm_python.Chart.load(chart) as loaded:
            rendered = loaded.render(
                dict(values), name=name, namespace=namespace, revision=1, is_install=True
            )
    except helm_python.HelmError as err:
        raise InputError(_one_line(err)) from None
    # `helm template` prints every non-empty template but the NOTES, each under a `# Source:`
    # line; the SDK returns them keyed by path (`<chart>/templates/x.yaml`).
    parts = [
        f"---\n# Source: {path}\n{text}"
        for path, text in sorted(rendered.items())
        if text.strip() and not path.endswith("NOTES.txt")
    ]
    return "\n".join(parts)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return (text or type(err).__name__)[:300]
