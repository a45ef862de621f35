"""The HTML report in headless Chromium: every image decodes, the rendered page is not blank, the provenance
header is there, no image is clipped, and the downstream table's columns are the store's sizes."""

from __future__ import annotations

import html
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

# Appended to a copy of the page: after load, write what the browser made of the page into the DOM. An image
# is clipped when it leaves the viewport or is drawn with another aspect ratio than its pixels.
PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const width = document.documentElement.clientWidth;
  const clipped = images.filter((i) => {
    const box = i.getBoundingClientRect();
    const ratio = (i.clientWidth / i.naturalWidth) / (i.clientHeight / i.naturalHeight);  // inside the border
    return box.left < 0 || box.right > width + 0.5 || Math.abs(ratio - 1) > 0.02;
  }).map((i) => i.alt);
  const heading = document.getElementById("downstream_correlation");
  let table = heading;
  while (table && table.tagName !== "TABLE") table = table.nextElementSibling;
  const header = document.getElementById("provenance");
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({
    images: images.length,
    decoded: images.filter((i) => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0).length,
    clipped: clipped,
    height: document.body.scrollHeight,
    overflow: document.documentElement.scrollWidth > width,
    provenance: header ? header.innerText : "",
    banner: document.getElementById("banner") ? document.getElementById("banner").innerText : "",
    downstream: table ? Array.from(table.querySelectorAll("thead th")).map((th) => th.innerText) : [],
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


def _probe(report, tmp_path: Path) -> dict:
    probed = tmp_path / "probed.html"
    probed.write_text(report.html.read_text().replace("</body>", PROBE + "</body>"))
    dom = _chromium(
        tmp_path / "profile",
        "--window-size=1280,2000",
        "--virtual-time-budget=10000",
        "--dump-dom",
        probed.as_uri(),
    )
    found = re.search(r'<pre id="probe">([^<]*)</pre>', dom)
    assert found, "the probe script did not run"
    return json.loads(html.unescape(found.group(1)))


def test_every_image_loads(report, tmp_path):
    result = _probe(report, tmp_path)
    assert result["images"] == len(report.figures) > 0
    assert result["decoded"] == result["images"]
    assert result["height"] > 2000
    assert result["clipped"] == [] and not result["overflow"]
    assert (
        "What this report was built from" in result["provenance"] and "Training steps" in result["provenance"]
    )
    assert result["downstream"][:3] == ["dataset", "quantity", "n"]
    assert {"LR 10", "LR 10000", "GBT 1000"} <= set(result["downstream"])


def test_smoke_report_header_banner_images_and_downstream_columns(smoke_report, tmp_path):
    result = _probe(smoke_report, tmp_path)
    assert result["decoded"] == result["images"] == len(smoke_report.figures) > 0
    assert result["clipped"] == [] and not result["overflow"]
    assert "GBT backend" in result["provenance"] and "200 per run" in result["provenance"]
    assert "Runs trained for 200 steps" in result["banner"]
    # The columns are the sizes the small profile computed (10, 100, 300), none it never computed.
    sizes = [c for c in result["downstream"] if c.split()[0] in ("LR", "GBT")]
    assert sizes == [f"{m} {n}" for m in ("LR", "GBT") for n in (10, 100, 300, "efficiency")]


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
