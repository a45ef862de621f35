"""Markdown and HTML rendering of tables, and inlined images."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd

from analysis.markup import Section, html_page, html_table, inline_image, markdown_table

FRAME = pd.DataFrame({"metric": ["MIG", "SAP <b>"], "runs": [3, 4], "share": [0.12345, np.nan]})


def test_markdown_table():
    assert markdown_table(FRAME) == (
        "| metric | runs | share |\n| --- | --- | --- |\n| MIG | 3 | 0.123 |\n| SAP <b> | 4 | — |\n"
    )


def test_html_table_escapes_text_and_aligns_numbers():
    table = html_table(FRAME)
    assert "<td class=text>SAP &lt;b&gt;</td>" in table
    assert "<td>0.123</td>" in table and "<td>—</td>" in table and "<td>3</td>" in table


def test_inline_image_and_page(tmp_path):
    png = tmp_path / "x.png"
    png.write_bytes(b"\x89PNG fake")
    tag = inline_image(png, 'a "quoted" title')
    encoded = base64.b64encode(png.read_bytes()).decode()
    assert tag == f'<img alt="a &quot;quoted&quot; title" src="data:image/png;base64,{encoded}">'
    page = html_page("T & t", ["intro"], [Section("s1", "One", "cap <1>", tag)])
    assert page.startswith("<!DOCTYPE html>") and '<a href="#s1">One</a>' in page
    assert "<title>T &amp; t</title>" in page and "cap &lt;1&gt;" in page
