"""One input discovery for every command: archfit.yaml, cluster.yaml and archfit.lock beside
the target or above it, up to the repository top; explicit files win."""

from __future__ import annotations

from pathlib import Path

import pytest

from archfit.errors import InputError
from archfit.sources.discovery import (
    API_SPELLING,
    CONFIG_NAMES,
    discover,
    find_upwards,
    lockfile_target,
)


def find_config(start: Path) -> Path | None:
    return find_upwards(start, CONFIG_NAMES)


def test_found_in_the_directory_or_a_parent(tmp_path: Path) -> None:
    (tmp_path / "repo" / "apps" / "web").mkdir(parents=True)
    (tmp_path / "repo" / "archfit.yaml").write_text("{}\n")
    assert find_config(tmp_path / "repo" / "apps" / "web") == tmp_path / "repo" / "archfit.yaml"
    assert find_config(tmp_path / "repo") == tmp_path / "repo" / "archfit.yaml"


def test_nearest_wins_and_hidden_name_counts(tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "archfit.yaml").write_text("{}\n")
    (tmp_path / "apps" / ".archfit.yaml").write_text("{}\n")
    assert find_config(tmp_path / "apps") == tmp_path / "apps" / ".archfit.yaml"


def test_a_file_start_uses_its_directory(tmp_path: Path) -> None:
    (tmp_path / "archfit.yaml").write_text("{}\n")
    (tmp_path / "pod.yaml").write_text("")
    assert find_config(tmp_path / "pod.yaml") == tmp_path / "archfit.yaml"


def test_search_stops_at_the_repository_top(tmp_path: Path) -> None:
    for name in ("archfit.yaml", "cluster.yaml", "archfit.lock"):
        (tmp_path / name).write_text("{}\n")  # outside the repository: never used
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "apps").mkdir()
    found = discover([tmp_path / "repo" / "apps"])
    assert (found.config, found.cluster, found.lock) == (None, None, None)


def test_the_repository_top_itself_is_searched(tmp_path: Path) -> None:
    (tmp_path / ".git").write_text("gitdir: elsewhere\n")  # a worktree's .git is a file
    (tmp_path / "cluster.yaml").write_text("{}\n")
    (tmp_path / "apps" / "web").mkdir(parents=True)
    assert discover([tmp_path / "apps" / "web"]).cluster == tmp_path / "cluster.yaml"


def test_each_file_is_found_on_its_own_level(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "archfit.yaml").write_text("{}\n")
    (tmp_path / "clusters" / "home" / "apps").mkdir(parents=True)
    (tmp_path / "clusters" / "home" / "cluster.yaml").write_text("{}\n")
    (tmp_path / "clusters" / "home" / "apps" / "archfit.lock").write_text("{}\n")
    found = discover([tmp_path / "clusters" / "home" / "apps"])
    assert found.config == tmp_path / "archfit.yaml"
    assert found.cluster == tmp_path / "clusters" / "home" / "cluster.yaml"
    assert found.lock == tmp_path / "clusters" / "home" / "apps" / "archfit.lock"


def test_explicit_files_win(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "cluster.yaml").write_text("{}\n")
    (tmp_path / "other.yaml").write_text("{}\n")
    found = discover([tmp_path], cluster=tmp_path / "other.yaml")
    assert found.cluster == tmp_path / "other.yaml"


@pytest.mark.parametrize(
    ("argument", "cli", "api"),
    [
        ("cluster", "cluster file not found (given with --cluster)", "given with cluster="),
        ("lock", "lockfile not found (given with --lock)", "given with lock="),
        ("config", "policy file not found (given with --config)", "given with config="),
    ],
)
def test_a_missing_explicit_file_names_the_option(
    tmp_path: Path, argument: str, cli: str, api: str
) -> None:
    missing = tmp_path / "absent.yaml"
    given = {name: missing if name == argument else None for name in ("config", "cluster", "lock")}
    with pytest.raises(InputError) as caught:
        discover([tmp_path], config=given["config"], cluster=given["cluster"], lock=given["lock"])
    assert str(caught.value) == f"{missing}: {cli}"
    with pytest.raises(InputError, match=api):
        discover(
            [tmp_path],
            config=given["config"],
            cluster=given["cluster"],
            lock=given["lock"],
            spelling=API_SPELLING,
        )


def test_relative_start_gives_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "archfit.yaml").write_text("{}\n")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    assert find_config(Path("apps")) == Path("archfit.yaml")


def test_lock_writes_where_the_others_read(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "apps").mkdir()
    assert lockfile_target([tmp_path / "apps"]) == tmp_path / "apps" / "archfit.lock"
    (tmp_path / "archfit.lock").write_text("{}\n")
    assert lockfile_target([tmp_path / "apps"]) == tmp_path / "archfit.lock"
    assert lockfile_target([tmp_path / "apps"], tmp_path / "new.lock") == tmp_path / "new.lock"
