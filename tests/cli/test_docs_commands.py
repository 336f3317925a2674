"""The commands the README and docs/ show exist as shown, so the documentation cannot drift from
the CLI: every `archfit …` line of a shell block (or a `$ ` line of an output block, a CI
workflow's `run:`, an inline code span) names real subcommands and real options, and every
environment variable the docs name is read somewhere.

The commands are read from the click tree typer builds (no process per line), so this stays
fast.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.shown_commands import Shown, problems, shown_commands

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
ALL_SHOWN = [shown for path in DOCS for shown in shown_commands(path, ROOT)]


def test_the_docs_show_commands() -> None:
    # The extraction itself must work: the README alone shows dozens.
    readme = [s for s in ALL_SHOWN if s.where.startswith("README.md")]
    assert len(readme) >= 30, readme
    assert Shown("README.md:10", ("check", "examples/homelab")) in readme


@pytest.mark.parametrize("shown", ALL_SHOWN, ids=lambda s: s.where)
def test_every_shown_command_exists(shown: Shown) -> None:
    assert problems(shown) == [], f"{shown.where}: archfit {' '.join(shown.words)}"


def test_a_stale_command_is_caught() -> None:
    # The checker itself can fail: each of these is wrong in one way.
    assert problems(Shown("x", ("chek", "."))) == ["archfit has no subcommand 'chek'"]
    assert problems(Shown("x", ("check", ".", "--no-such"))) == [
        "archfit check has no option --no-such"
    ]
    assert problems(Shown("x", ("images", "IMAGE"))) == ["archfit images has no subcommand 'IMAGE'"]
    assert problems(Shown("x", ("check", ".", "-v", "--fail-on", "never"))) == []


def _variables(text: str) -> set[str]:
    return set(re.findall(r"\bARCHFIT_[A-Z][A-Z0-9_]*\b", text))


def test_every_environment_variable_the_docs_name_is_read() -> None:
    documented = set().union(*(_variables(p.read_text(encoding="utf-8")) for p in DOCS))
    assert "ARCHFIT_FAIL_ON" in documented
    code = [*ROOT.joinpath("src").rglob("*.py"), ROOT / "tests" / "conftest.py"]
    read = set().union(*(_variables(p.read_text(encoding="utf-8")) for p in code))
    assert sorted(documented - read) == []


def test_the_readme_starts_with_the_two_commands_of_a_fresh_machine() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first = text.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in first.splitlines()]
    assert commands == ["./scripts/archfit check examples/homelab", "./scripts/test"]
    for script in ("scripts/archfit", "scripts/test"):
        assert (ROOT / script).stat().st_mode & 0o111, script


def test_the_extras_the_docs_name_exist_and_all_has_them() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    # The Helm SDK is the `helm` extra, which `fix --help` and the README name.
    assert any(d.startswith("helm-python-sdk") for d in extras["helm"])
    assert extras["all"] == ["archfit[registry,kube,fix,helm,service]"]
    named = set(
        re.findall(r"archfit\[([a-z,]+)\]", " ".join(p.read_text(encoding="utf-8") for p in DOCS))
    )
    for group in named:
        assert set(group.split(",")) <= set(extras), group
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"Extras: (.+?)\n\n", readme, re.S)
    assert listed is not None
    assert set(re.findall(r"`([a-z]+)` \(", listed.group(1))) == set(extras) - {"all", "dev"}


def test_fix_help_names_the_helm_extra(capsys: pytest.CaptureFixture[str]) -> None:
    from archfit.cli.main import main

    assert main(["fix", "--help"]) == 0
    assert 'pip install "archfit[helm]"' in " ".join(capsys.readouterr().out.split())


# A path of the repository named in prose; templated (`<name>`) and globbed ones are not checked.
_REPOSITORY_PATH = re.compile(
    r"(?<![\w/.-])((?:src|tests|bench|deploy|docs|examples|scripts)/[\w./-]*)(?![\w<*])"
)
# Code blocks show made-up trees, and commands in code spans name other things
# (`kubectl logs deploy/archfit-exporter`): neither is read for paths.
_CODE = re.compile(r"^```.*?^```|`[^`\n]+`", re.M | re.S)


def _prose_paths(text: str) -> list[str]:
    kept = _CODE.sub(lambda m: m[0] if " " not in m[0] and "\n" not in m[0] else " ", text)
    return _REPOSITORY_PATH.findall(kept)


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_repository_path_and_link_the_docs_name_exists() -> None:
    anchors = {
        path.resolve(): {
            _slug(h) for h in re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)
        }
        for path in DOCS
    }
    missing: list[str] = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for named in _prose_paths(text):
            if not (ROOT / named.rstrip("/.")).exists():
                missing.append(f"{path.name}: {named}")
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)", text):
            if target.startswith(("http://", "https://")):
                continue
            resolved = (path.parent / target).resolve() if target else path.resolve()
            if not resolved.exists():
                missing.append(f"{path.name}: link {target}")
            elif anchor and anchor not in anchors.get(resolved, set()):
                missing.append(f"{path.name}: link {target}#{anchor}")
    assert missing == []
