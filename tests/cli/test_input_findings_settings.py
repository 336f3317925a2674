"""The findings about the inputs (`not-deployed`, `no-lockfile`, …) obey `archfit.yaml` like the
policy's own: `rules.severity` re-grades them (and so moves the exit code), an `ignore` entry
naming their id drops them; run through the installed `archfit`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from archfit.usecases.config import INPUT_FINDING_IDS
from tests.support.console import ROOT, archfit

FLUX = ROOT / "tests" / "fixtures" / "entrypoints" / "flux"


def _policy(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "archfit.yaml"
    path.write_text(f"apiVersion: archfit.dev/v1alpha1\nkind: Policy\n{body}")
    return path


def _findings(out: str) -> dict[str, str]:
    return {f["id"]: f["severity"] for f in json.loads(out)["findings"]}


def test_not_deployed_regraded_to_error_fails_the_check(tmp_path: Path) -> None:
    before = archfit("check", str(FLUX), "--format", "json")
    assert before.code == 0, before.err
    assert _findings(before.out)["not-deployed"] == "info"

    config = _policy(tmp_path, "rules:\n  severity:\n    not-deployed: error\n")
    after = archfit("check", str(FLUX), "--config", str(config), "--format", "json")
    assert after.code == 1, after.err
    assert _findings(after.out)["not-deployed"] == "error"

    text = archfit("check", str(FLUX), "--config", str(config))
    assert text.code == 1
    assert re.search(r"^ERRORS \(1\)\n  not-deployed  input$", text.out, re.MULTILINE), text.out


def test_not_deployed_as_warning_fails_only_with_fail_on_warning(tmp_path: Path) -> None:
    config = _policy(
        tmp_path,
        "rules:\n  severity:\n    not-deployed: warning\n    no-lockfile: info\n"
        "    no-inventory: info\n    unresolved-image: info\n",
    )
    run = archfit("check", str(FLUX), "--config", str(config), "--format", "json")
    assert run.code == 0, run.err
    assert _findings(run.out) == {
        "no-lockfile": "info",
        "no-inventory": "info",
        "not-deployed": "warning",
        "unresolved-image": "info",
    }
    strict = archfit("check", str(FLUX), "--config", str(config), "--fail-on", "warning")
    assert strict.code == 1


def test_an_ignore_entry_turns_not_deployed_off(tmp_path: Path) -> None:
    config = _policy(tmp_path, "ignore:\n  - findings: [not-deployed]\n")
    run = archfit("check", str(FLUX), "--config", str(config), "--format", "json")
    assert run.code == 0, run.err
    assert "not-deployed" not in _findings(run.out)
    assert "no-lockfile" in _findings(run.out)


def test_an_unknown_finding_id_is_still_an_input_error(tmp_path: Path) -> None:
    config = _policy(tmp_path, "rules:\n  severity:\n    not-deployd: error\n")
    run = archfit("check", str(FLUX), "--config", str(config))
    assert run.code == 2
    assert run.out == ""
    assert run.err.strip() == (
        f"archfit: error: {config}:5: rules.severity.not-deployd: unknown finding id "
        "'not-deployd'; see docs/findings.md"
    )


def test_every_input_finding_id_is_documented() -> None:
    text = (ROOT / "docs" / "findings.md").read_text()
    assert sorted(i for i in INPUT_FINDING_IDS if f"`{i}`" not in text) == []
