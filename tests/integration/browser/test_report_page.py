"""`archfit report` of the bundled example, opened in a real headless Chromium: it loads with
no console error and no network request, the map and the matrix are drawn at desktop and phone
widths, every workload and finding is on the page, and the filters work."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from archfit.cli.main import main
from tests.support.chromium import Chromium, Tab

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = json.loads((ROOT / "tests" / "cli" / "golden" / "check-homelab.json").read_text())

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        assert main(["report", "examples/homelab", "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    chromium = Chromium.start()
    try:
        yield chromium
    finally:
        chromium.close()


def _region(tab: Tab, shot: Image.Image, selector: str) -> Image.Image:
    box = tab.evaluate(
        f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
        ".getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height];"
        " })()"
    )
    left, top, width, height = (round(v) for v in box)
    assert width > 100, (selector, box)
    assert height > 100, (selector, box)
    return shot.crop((left, top, left + width, min(top + height, shot.height)))


def drawn(image: Image.Image) -> bool:
    """Whether a region shows something: enough non-white pixels in several colours."""
    small = image.resize((max(1, image.width // 4), max(1, image.height // 4)))
    raw = small.convert("RGB").tobytes()
    pixels = [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]
    inked = sum(1 for p in pixels if min(p) < 235)
    colours = len({(r // 32, g // 32, b // 32) for r, g, b in pixels})
    return inked / len(pixels) > 0.04 and colours >= 6


def test_the_checker_sees_a_blank_page_as_blank() -> None:
    assert not drawn(Image.new("RGB", (400, 300), "white"))
    assert not drawn(Image.new("RGB", (400, 300), (30, 30, 30)))


def test_example_report_is_small(page_file: Path) -> None:
    assert page_file.stat().st_size < 2_000_000


@pytest.mark.parametrize(("width", "mobile"), [(1280, False), (390, True)])
def test_loads_clean_and_draws_map_and_matrix(
    browser: Chromium, page_file: Path, width: int, mobile: bool
) -> None:
    tab = browser.open(page_file.as_uri(), width=width, mobile=mobile)
    assert tab.console_errors == []
    assert [u for u in tab.requests if u != page_file.as_uri()] == []
    shot = tab.screenshot()
    assert shot.width == width
    assert drawn(_region(tab, shot, "#map"))
    assert drawn(_region(tab, shot, "#matrix"))
    # The page itself never scrolls sideways; wide tables scroll in their own box.
    assert tab.evaluate("document.documentElement.scrollWidth") <= width


def test_every_workload_and_finding_is_on_the_page(browser: Chromium, page_file: Path) -> None:
    tab = browser.open(page_file.as_uri(), width=1280)
    text = tab.evaluate("document.body.textContent")
    for workload in GOLDEN["workloads"]:
        assert f"{workload['kind']}/{workload['namespace']}/{workload['name']}" in text
    for finding in GOLDEN["findings"]:
        assert finding["message"] in text, finding["id"]
        assert finding["hint"] in text, finding["id"]
        if finding["source"]:
            assert finding["source"] in text
    assert len(GOLDEN["findings"]) == 20


def test_filters_by_namespace_and_finding(browser: Chromium, page_file: Path) -> None:
    tab = browser.open(page_file.as_uri(), width=1280)
    visible = (
        "Array.from(document.querySelectorAll('#matrix-table tbody tr'))"
        ".filter(r => !r.hidden).map(r => r.cells[0].textContent)"
    )
    assert tab.evaluate("document.getElementById('filters').hidden") is False
    assert len(tab.evaluate(visible)) == 26
    tab.evaluate(
        "(() => { const s = document.querySelector('#filters select[name=namespace]');"
        " s.value = 'databases'; s.onchange(); })()"
    )
    assert tab.evaluate(visible) == [
        "StatefulSet/databases/mariadb",
        "Deployment/databases/mssql",
        "StatefulSet/databases/postgres",
        "CronJob/databases/postgres-backup",
        "Deployment/databases/valkey",
    ]
    tab.evaluate(
        "(() => { const s = document.querySelector('#filters select[name=finding]');"
        " s.value = 'too-large-for-pi'; s.onchange(); })()"
    )
    assert tab.evaluate(visible) == [
        "Deployment/databases/mssql",
        "StatefulSet/databases/postgres",
    ]
    browser.collect(tab)
    assert tab.console_errors == []


def test_tables_read_without_javascript(page_file: Path) -> None:
    html = page_file.read_text()
    before_script = html.split("<script>")[0]
    assert 'id="filters" hidden' in before_script
    assert before_script.count("<tr data-namespace=") == 26
    assert "Deployment/home/mosquitto" in before_script.replace("<b>", "").replace("</b>", "")
