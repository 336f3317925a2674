"""The library API: the example in docs/api.md runs as written, errors name arguments, and
`import archfit` stays cheap."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import archfit

ROOT = Path(__file__).resolve().parents[2]
HOMELAB = ROOT / "examples" / "homelab"


def _example() -> str:
    text = (ROOT / "docs" / "api.md").read_text()
    section = text.split("## Example", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return str(code)


def test_the_documented_example_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(_example(), "docs/api.md", "exec"), {})  # noqa: S102 - our own document
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("0/14 nodes are available: ")
    assert out[1] == "73 pods, 1 unschedulable"
    assert out[2].startswith("--- a/")


def test_all_is_sorted_and_every_name_loads() -> None:
    assert archfit.__all__ == sorted(archfit.__all__)
    for name in archfit.__all__:
        assert getattr(archfit, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        archfit.nope  # noqa: B018


def test_the_package_is_typed() -> None:
    assert (ROOT / "src" / "archfit" / "py.typed").is_file()


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: archfit.check(HOMELAB, lock="x.lock"), "given with lock="),
        (lambda: archfit.check(HOMELAB, config="x.yaml"), "given with config="),
        (lambda: archfit.fix(HOMELAB, cluster="x.yaml"), "given with cluster="),
        (
            lambda: archfit.simulate(HOMELAB, fail=["nope"]),
            "remove=/fail=/drain=",
        ),
        (lambda: archfit.simulate(HOMELAB, add=["2x nope"]), "add="),
        (lambda: archfit.resolve_images(["UPPER/Case"]), "refs[0]"),
    ],
)
def test_errors_name_the_argument(call: Callable[[], object], expected: str) -> None:
    with pytest.raises(archfit.InputError) as caught:
        call()
    assert expected in str(caught.value)
    assert "--" not in str(caught.value)


def test_a_no_inventory_finding_names_the_argument(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers: [{name: a, image: nginx}]\n"
    )
    report = archfit.check(tmp_path)
    (finding,) = [f for f in report.findings if f.id == "no-inventory"]
    assert "cluster=" in finding.message
    assert "--cluster" not in finding.message


def test_importing_the_package_loads_no_command_code() -> None:
    code = "import sys, archfit; print(sorted(m for m in sys.modules if m.startswith('archfit')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    # Only the package and the 30-line loader of its lazy names.
    assert out.strip() == "['archfit', 'archfit._lazy']"
