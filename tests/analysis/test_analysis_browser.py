"""The HTML report in headless Chromium: every image decodes and the rendered page is not blank."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="headless Chromium is not installed"),
]

# Appended to a copy of the page: after load, write what the browser made of the images into the DOM.
PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({
    images: images.length,
    decoded: images.filter((i) => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0).length,
    height: document.body.scrollHeight,
  });
  document.body.appendChild(probe);
});
</script>"""


def _chromium(profile: Path, *args: str) -> str:
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True).stdout


def test_every_image_loads(report, tmp_path):
    probed = tmp_path / "probed.html"
    probed.write_text(report.html.read_text().replace("</body>", PROBE + "</body>"))
    dom = _chromium(tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom", probed.as_uri())
    found = re.search(r'<pre id="probe">([^<]*)</pre>', dom)
    assert found, "the probe script did not run"
    result = json.loads(found.group(1))
    assert result["images"] == len(report.figures) > 0
    assert result["decoded"] == result["images"]
    assert result["height"] > 2000


def test_page_is_not_blank(report, tmp_path):
    shot = tmp_path / "shot.png"
    _chromium(
        tmp_path / "profile",
        "--window-size=1280,2000",
        "--hide-scrollbars",
        f"--screenshot={shot}",
        report.html.as_uri(),
    )
    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.shape == (2000, 1280)
    assert (pixels < 200).mean() > 0.01  # text, tables and figures, not an empty page
    assert len(np.unique(pixels)) > 20  # anti-aliased text and plots, not a flat error screen
