"""`archfit report` end to end: the page is written atomically and names what it read; exit
codes follow --fail-each; bad input is one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from archfit.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = "examples/homelab"


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


def test_writes_one_self_contained_page(
    in_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert main(["report", EXAMPLE, "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"wrote {out}" in captured.err
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "archfit report: homelab" in html
    # Nothing is fetched: no external script, stylesheet, font or image.
    for needle in ("<script src", '<link rel="stylesheet"', "@import", "url(http", 'src="http'):
        assert needle not in html
    for section in ('id="map"', 'id="matrix"', 'id="findings"', 'id="capacity"', 'id="sweep"'):
        assert section in html
    assert 'id="pi"' in html
    # The N-1 sweep of the example: losing drizzt leaves two StatefulSet pods stuck.
    assert "<tr><td>drizzt</td><td>StatefulSet/databases/mariadb: <b>stuck</b>" in html
    # valheim (amd64 only) placed on the Pi jarlaxle, among the pods that would crash.
    assert "6 placed pods would crash" in html
    assert 'title="games/valheim-' in html
    assert list(tmp_path.iterdir()) == [out]


def test_fail_each_exits_1_when_a_node_loss_leaves_pods_short(
    in_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert main(["report", EXAMPLE, "-o", str(out), "--fail-each"]) == 1
    assert out.is_file()
    capsys.readouterr()


def test_bad_input_is_one_line_and_exit_2(
    in_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert main(["report", "no/such/dir", "-o", str(out)]) == 2
    _, err = capsys.readouterr()
    assert err.strip().splitlines() == ["archfit: error: no/such/dir: no such file or directory"]
    assert not out.exists()


def test_without_an_inventory_the_check_still_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "apps"
    app.mkdir()
    (app / "web.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n    spec:\n"
        "      containers: [{name: web, image: 'nginx:1.27'}]\n"
    )
    out = tmp_path / "report.html"
    assert main(["report", str(app), "-o", str(out)]) == 0
    html = out.read_text()
    assert "No cluster inventory: nothing was simulated." in html
    assert "Deployment/shop/<b>web</b>" in html
    assert "no-inventory" in html
    capsys.readouterr()
