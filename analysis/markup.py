"""Render tables as Markdown and the whole report as one self-contained HTML page (images inlined)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

_STYLE = """
body { font-family: sans-serif; max-width: 1400px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
.caption { color: #444; font-size: 0.92em; max-width: 60em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
th { background: #f3f3f3; } td.text { text-align: left; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
.banner { background: #fff4e5; border: 1px solid #e8a33d; padding: 0.5em 1em; margin: 1em 0; }
table.facts th { text-align: left; vertical-align: top; white-space: nowrap; }
table.facts td { max-width: 70em; }
"""


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating):
        return "—" if not np.isfinite(value) else f"{value:.3f}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of `frame` (index dropped; floats to 3 decimals, NaN as a dash)."""
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


def html_table(frame: pd.DataFrame) -> str:
    """An HTML table of `frame` formatted like `markdown_table` (numbers right-aligned, text left-aligned)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)

    def cell(value: object) -> str:
        numeric = isinstance(value, int | float | np.integer | np.floating)
        return f"<td{'' if numeric else ' class=text'}>{html.escape(_cell(value))}</td>"

    rows = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def inline_image(path: Path, alt: str) -> str:
    """An <img> whose PNG data is embedded, so the page needs no other file."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


@dataclass(frozen=True)
class Section:
    """One report item: an anchor, a title, its caption and its rendered body (table or image)."""

    anchor: str
    title: str
    caption: str
    body: str


def html_page(title: str, preamble: Sequence[str], sections: Sequence[Section], header: str = "") -> str:
    """The report page: title, `header` (HTML, e.g. the provenance block), preamble paragraphs, a table of
    contents and the sections."""
    contents = "".join(f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in sections)
    intro = "".join(f"<p>{html.escape(p)}</p>" for p in preamble)
    parts = [
        f'<h2 id="{s.anchor}">{html.escape(s.title)}</h2><p class="caption">{html.escape(s.caption)}</p>'
        f"{s.body}"
        for s in sections
    ]
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{header}{intro}<ul>{contents}</ul>"
        + "".join(parts)
        + "</body></html>\n"
    )
