"""Command-line conventions kubectl and helm users expect, through the installed console script:
one-line usage errors (exit 2), --version, completion scripts, -v/-q after the subcommand, the
kubectl plugin's name in usage text, and NO_COLOR."""

from __future__ import annotations

from pathlib import Path

import pytest

from archfit import __version__
from tests.support.console import archfit


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("check", "--bogus", "x"),
            "archfit check: No such option: --bogus (see 'archfit check -h')",
        ),
        (
            ("simulate", "examples/homelab", "--seed", "abc"),
            "archfit simulate: Invalid value for '--seed' (env var: 'ARCHFIT_SEED'):",
        ),
        (("nosuchcommand",), "archfit: No such command 'nosuchcommand'."),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: tuple[str, ...], expected: str) -> None:
    run = archfit(*args)
    assert run.code == 2
    assert run.out == ""
    assert run.err.count("\n") == 1, run.err
    assert run.err.startswith(f"archfit: error: {expected}"), run.err
    assert "╭" not in run.err


def test_version_flag_and_command() -> None:
    assert archfit("--version").out == f"archfit {__version__}\n"
    assert archfit("version").out == f"archfit {__version__}\n"


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o default -F _archfit_completion archfit"),
        ("zsh", "#compdef archfit"),
        ("fish", "complete --command archfit"),
    ],
)
def test_completion_scripts(shell: str, marker: str) -> None:
    run = archfit("completion", shell)
    assert run.code == 0, run.err
    assert marker in run.out
    assert "_ARCHFIT_COMPLETE" in run.out


def test_completion_rejects_unknown_shell() -> None:
    run = archfit("completion", "tcsh")
    assert (run.code, run.err) == (
        2,
        "archfit: error: completion: expected one of bash, zsh, fish, got 'tcsh'\n",
    )


def test_completion_answers_the_shell() -> None:
    run = archfit(
        env={"_ARCHFIT_COMPLETE": "complete_bash", "COMP_WORDS": "archfit chec", "COMP_CWORD": "1"}
    )
    assert run.code == 0, run.err
    assert "check" in run.out.split()


def test_kubectl_plugin_usage_says_kubectl_archfit() -> None:
    run = archfit("check", "--bogus", script="kubectl-archfit")
    assert run.err == (
        "archfit: error: kubectl archfit check: No such option: --bogus "
        "(see 'kubectl archfit check -h')\n"
    )
    assert archfit("check", "-h", script="kubectl-archfit").out.startswith(
        "Usage: kubectl archfit check [OPTIONS]"
    )


def test_verbose_after_subcommand_prints_what_was_read_and_timings() -> None:
    quiet = archfit("check", "examples/homelab")
    run = archfit("check", "examples/homelab", "-vv")
    assert run.code == quiet.code == 1
    assert run.out == quiet.out  # stdout is the report either way
    assert "read 26 workloads" in run.err, run.err
    assert "archfit: done in " in run.err


def test_quiet_drops_warnings_but_not_errors() -> None:
    run = archfit("check", "examples/homelab", "-q", "--format", "json")
    assert run.err == ""
    bad = archfit("check", "-q", "--fail-on", "sometimes", "examples/homelab")
    assert bad.code == 2
    assert bad.err.startswith("archfit: error: --fail-on")


def test_no_color_is_respected_on_a_terminal() -> None:
    # rich treats FORCE_COLOR as a terminal; NO_COLOR must still win.
    coloured = archfit("check", "--fail-on", "x", "examples/homelab", env={"FORCE_COLOR": "1"})
    plain = archfit(
        "check", "--fail-on", "x", "examples/homelab", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}
    )
    assert "\x1b[" in coloured.err
    assert "\x1b[" not in plain.err
    assert plain.err.startswith("archfit: error: --fail-on")


def test_label_with_a_cluster_file_needs_no_kubeconfig(tmp_path: Path) -> None:
    # No kubeconfig anywhere: HOME is empty and KUBECONFIG unset.
    env = {"HOME": str(tmp_path), "KUBECONFIG": ""}
    cluster = "examples/homelab/cluster.yaml"
    plan = archfit("label", "--cluster", cluster, env=env)
    assert plan.code == 0, plan.err
    assert plan.out.splitlines()[1].split() == [
        "khelben",
        "archfit.dev/gpu-vendor",
        "-",
        "amd",
        "add",
        "device",
        "plugin",
        "advertises",
        "a",
        "GPU",
    ]
    commands = archfit("label", "--cluster", cluster, "--kubectl", env=env)
    assert "kubectl label node elminster --overwrite archfit.dev/gpu-vendor=nvidia" in (
        commands.out.splitlines()
    )
    talos = archfit("label", "--cluster", cluster, "--talos", str(tmp_path / "talos"), env=env)
    assert talos.code == 0, talos.err
    assert len(list((tmp_path / "talos").glob("*.yaml"))) == 14


def test_tables_keep_one_unit_per_column_and_say_what_is_short() -> None:
    run = archfit("simulate", "examples/homelab", "--fail-each")
    assert run.code == 1
    lines = run.out.splitlines()
    arch = lines.index("Architectures")
    # The CPU column, in cores on every row.
    assert [line[:33] for line in lines[arch + 1 : arch + 4]] == [
        "  ARCH   NODES  CPU              ",
        "  amd64  9      15.1/66.2 (23%)  ",
        "  arm64  5      2.4/16 (15%)     ",
    ]
    sweep = lines.index("N-1: each node fails alone (worst first)")
    assert lines[sweep + 1 : sweep + 4] == [
        "  NODE       VERDICT  PODS SHORT  WHY        THEIR CPU  PODS MOVED",
        "  drizzt     FAILS    2           2 stuck    0.45       10",
        "  khelben    FAILS    1           1 stuck    2          6",
    ]


def test_progress_only_on_a_terminal_and_only_on_stderr() -> None:
    # FORCE_COLOR makes rich treat stderr as a terminal (as a real one would be).
    on_terminal = archfit("simulate", "examples/homelab", "--fail-each", env={"FORCE_COLOR": "1"})
    piped = archfit("simulate", "examples/homelab", "--fail-each")
    assert "N-1 sweep" in on_terminal.err
    assert "N-1 sweep" not in piped.err
    assert on_terminal.out == piped.out  # stdout is the report either way, free of progress


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "apiVersion: v1\nclusters: [\n  - a: b\n",
            ":3: invalid YAML: expected the node content, but found '-'",
        ),
        (
            "apiVersion: v1\nkind: Config\nclusters: 5\n",
            ": clusters: expected a list of entries with name: and cluster:",
        ),
    ],
)
def test_malformed_kubeconfig_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(text)
    run = archfit("check", "--live", "--kubeconfig", str(config))
    assert (run.code, run.out) == (2, "")
    assert run.err == f"archfit: error: {config}{expected}\n"


def test_readme_first_command_stays_offline_and_matches_the_golden_file() -> None:
    # Not offline by flag or environment: the bundled lockfile is authoritative, so nothing is
    # asked of a registry (a proxy that refuses everything would make any request fail loudly).
    refuse = "http://127.0.0.1:9"
    run = archfit(
        "check",
        "examples/homelab",
        env={"ARCHFIT_OFFLINE": "", "HTTPS_PROXY": refuse, "HTTP_PROXY": refuse},
    )
    assert run.code == 1
    assert run.err == ""
    golden = Path(__file__).resolve().parent / "golden" / "check-homelab.txt"
    assert run.out == golden.read_text()
