"""Finding archfit.yaml in the target directory or its parents, up to the repository top."""

from __future__ import annotations

from pathlib import Path

import pytest

from archfit.manifests import find_config


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
    (tmp_path / "archfit.yaml").write_text("{}\n")  # outside the repository: never used
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "apps").mkdir()
    assert find_config(tmp_path / "repo" / "apps") is None


def test_relative_start_gives_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "archfit.yaml").write_text("{}\n")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    assert find_config(Path("apps")) == Path("archfit.yaml")
