"""Write docs/images/report.png: the top of the example's `archfit report` in headless Chromium
(the same DevTools client as the browser tests), scaled down and reduced to 64 colours so that
the README's picture stays small.

Run: `.venv/bin/python scripts/report_screenshot.py`
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from tests.support.chromium import Chromium  # noqa: E402

from archfit.cli.main import main  # noqa: E402

OUT = ROOT / "docs" / "images" / "report.png"


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        os.chdir(ROOT)  # the page names the inputs as given: examples/homelab/…
        if main(["report", "examples/homelab", "-o", str(page)]) != 0:
            raise SystemExit("archfit report failed")
        browser = Chromium.start()
        try:
            tab = browser.open(page.as_uri(), width=1280, height=900)
            shot = tab.screenshot()
        finally:
            browser.close()
    top = shot.crop((0, 0, 1280, min(shot.height, 1500)))
    small = top.resize((960, top.height * 960 // 1280), Image.Resampling.LANCZOS)
    small.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(OUT, optimize=True)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    run()
