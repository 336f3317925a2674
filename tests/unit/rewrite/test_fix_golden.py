"""Golden diffs of `archfit fix` on one small fixture of each shape (checked by hand), plus the
two promises around them: a second run changes nothing, and --dry-run writes nothing."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from tests.unit.rewrite._support import AMD64_ONLY, fixed_check

from archfit.model.check import CheckReport, WorkloadVerdict
from archfit.model.placement import Placement
from archfit.sources import load_manifests
from archfit.usecases.fix import WriteFailed, run_fix

CASES = {
    "raw-new-affinity": "raw/deployment.yaml",
    "raw-existing-affinity": "raw/with-affinity.yaml",
    "raw-multidoc": "raw/multidoc.yaml",
    "apptemplate-current": "apptemplate/current.yaml",
    "apptemplate-old": "apptemplate/old.yaml",
    "apptemplate-two-controllers": "apptemplate/two-controllers.yaml",
    "chart": "chart/release.yaml",
    "kustomize-overlay": "kustomize/overlays/home",
    "kustomize-helmrelease-overlay": "kustomize/overlays/infra",
}


@pytest.fixture
def tree(tmp_path: Path, fixtures_dir: Path) -> Path:
    shutil.copytree(fixtures_dir / "fix", tmp_path / "fix")
    return tmp_path / "fix"


def _golden(fixtures_dir: Path, name: str) -> str:
    return (fixtures_dir / "fix" / "golden" / f"{name}.diff").read_text()


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_diff(case: str, tree: Path, fixtures_dir: Path) -> None:
    target = tree / CASES[case]
    outcome = run_fix([target], dry_run=True, check=fixed_check())
    diff = outcome.diff.replace(str(tree).lstrip("/") + "/", "")
    assert diff == _golden(fixtures_dir, case)


@pytest.mark.parametrize("case", sorted(CASES))
def test_second_run_changes_nothing(case: str, tree: Path) -> None:
    target = tree / CASES[case]
    first = run_fix([target], check=fixed_check())
    assert first.files, "the first run must change something"
    for text in first.files.values():
        list(yaml.safe_load_all(text))
    second = run_fix([target], check=fixed_check())
    assert second.files == {}


def test_dry_run_writes_nothing(tree: Path) -> None:
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    outcome = run_fix([tree / "raw"], dry_run=True, check=fixed_check())
    assert outcome.files
    after = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    assert after == before


def test_comments_before_leading_separator_survive(tree: Path) -> None:
    path = tree / "raw" / "deployment.yaml"
    run_fix([path], check=fixed_check())
    text = path.read_text()
    assert text.startswith(
        "# A plain Deployment, no placement yet.\n"
        "# This header sits before the leading document separator.\n---\n"
    )
    assert "app: mosquitto   # the MQTT broker" in text
    assert 'image: "eclipse-mosquitto:2.0.20"' in text


def test_app_template_defaults_untouched_when_a_controller_needs_nothing(tree: Path) -> None:
    """Only `zwave` is constrained: writing `defaultPodOptions` would constrain `sidecar` too, so
    the placement goes into `zwave`'s own pod options."""

    def check(paths: Sequence[Path]) -> CheckReport:
        return CheckReport(
            workloads=tuple(
                WorkloadVerdict(
                    w, placement=AMD64_ONLY if w.name.endswith("zwave") else Placement()
                )
                for w in load_manifests(list(paths)).workloads
            )
        )

    target = tree / "apptemplate" / "current.yaml"
    target.write_text(
        target.read_text().replace(
            "    defaultPodOptions:",
            "      sidecar:\n"
            "        containers:\n"
            "          app:\n"
            "            image: {repository: busybox, tag: '1.36'}\n"
            "    defaultPodOptions:",
        )
    )
    outcome = run_fix([target], check=check)
    (text,) = outcome.files.values()
    values = yaml.safe_load(text.split("---\n", 2)[1])["spec"]["values"]
    assert "affinity" not in values["defaultPodOptions"]
    assert values["controllers"]["zwave"]["pod"]["affinity"]["nodeAffinity"]
    assert "pod" not in values["controllers"]["sidecar"]


def test_patches_directory_inside_the_overlay(tree: Path) -> None:
    overlay = tree / "kustomize" / "overlays" / "home"
    outcome = run_fix([overlay], patches_dir=Path("archfit"), check=fixed_check())
    patch = overlay / "archfit" / "archfit-placement-deployment-linkding.yaml"
    assert patch.is_file()
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    assert kustomization["patches"] == [
        {"path": "archfit/archfit-placement-deployment-linkding.yaml"}
    ]
    assert str(patch) in outcome.files
    # The base, outside the path given, is left alone.
    assert "affinity" not in (tree / "kustomize" / "base" / "web" / "deployment.yaml").read_text()


def test_a_file_that_cannot_be_written_is_reported(tree: Path) -> None:
    overlay = tree / "kustomize" / "overlays" / "home"
    (overlay / "archfit").write_text("a file where the patch directory should be\n")
    before = (overlay / "kustomization.yaml").read_text()
    with pytest.raises(WriteFailed, match="cannot write"):
        run_fix([overlay], patches_dir=Path("archfit"), check=fixed_check())
    # The patch is written before the kustomization that lists it, so nothing refers to it.
    assert (overlay / "kustomization.yaml").read_text() == before
