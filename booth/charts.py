"""Bar charts as inline SVG: readable without JavaScript and allowed by the CSP."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

COLOURS = {"for": "#1b6e3a", "against": "#a3231f", "abstain": "#6b6b6b",
           "satisfied": "#1b6e3a", "basically_satisfied": "#5a8f29",
           "dissatisfied": "#a3231f"}


def result_bars(kind: str, result: dict[str, Any], _: Callable[[str], str]) -> str:
    """One stacked horizontal bar per row; the legend names each colour."""
    parts = (["for", "against", "abstain"] if kind == "selection"
             else ["satisfied", "basically_satisfied", "dissatisfied"])
    labels = {"for": _("For"), "against": _("Against"), "abstain": _("Abstain"),
              "satisfied": _("Satisfied"), "basically_satisfied": _("Basically satisfied"),
              "dissatisfied": _("Dissatisfied")}
    rows = result["rows"]
    total = max(1, max(sum(row.get(p, 0) for p in parts) for row in rows))
    bar_w, label_w, row_h = 520, 70, 28
    height = row_h * len(rows) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
           f'viewBox="0 0 {label_w + bar_w + 60} {height}" '
           f'aria-label="{escape(_("Votes per project"))}">']
    for i, row in enumerate(rows):
        y = i * row_h + 4
        out.append(f'<text x="0" y="{y + 17}" class="chart-label">{escape(row["id"])}</text>')
        x = label_w
        for p in parts:
            w = bar_w * row.get(p, 0) / total
            if w:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 8}" '
                           f'fill="{COLOURS[p]}"><title>{escape(labels[p])}: '
                           f'{row.get(p, 0)}</title></rect>')
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + 17}" class="chart-value">'
                   f'{row.get(parts[0], 0)}</text>')
    x = label_w
    for p in parts:
        out.append(f'<rect x="{x}" y="{height - 22}" width="14" height="14" '
                   f'fill="{COLOURS[p]}"/><text x="{x + 18}" y="{height - 10}" '
                   f'class="chart-legend">{escape(labels[p])}</text>')
        x += 150
    out.append("</svg>")
    return "".join(out)
