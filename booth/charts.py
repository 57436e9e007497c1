"""Bar charts as inline SVG: readable without JavaScript and allowed by the CSP."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from html import escape
from typing import Any

from ballot.rules import MajorityLine

COLOURS = {"for": "#1b6e3a", "against": "#a3231f", "abstain": "#6b6b6b",
           "satisfied": "#1b6e3a", "basically_satisfied": "#5a8f29",
           "dissatisfied": "#a3231f"}


def result_bars(kind: str, result: dict[str, Any], _: Callable[[str], str],
                majority: MajorityLine | None = None, majority_label: str = "") -> str:
    """One stacked horizontal bar per row, the majority line across them (when given),
    and a legend naming each colour, one per line.

    Drawn in a narrow coordinate space (410 wide) with large type, so a phone's width
    still shows 16 px letters; the page caps the chart's width on wider screens.
    """
    parts = (["for", "against", "abstain"] if kind == "selection"
             else ["satisfied", "basically_satisfied", "dissatisfied"])
    labels = {"for": _("For"), "against": _("Against"), "abstain": _("Abstain"),
              "satisfied": _("Satisfied"), "basically_satisfied": _("Basically satisfied"),
              "dissatisfied": _("Dissatisfied")}
    rows = result["rows"]
    most = max(sum(row.get(p, 0) for p in parts) for row in rows)
    total = max(1, most, majority.needed if majority else 0)
    label_w, bar_w, value_w, row_h, top = 60, 300, 50, 40, 34 if majority else 4
    legend_top = top + row_h * len(rows) + 8
    height = legend_top + 30 * len(parts)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" role="img" '
           f'viewBox="0 0 {label_w + bar_w + value_w} {height}" '
           f'aria-label="{escape(_("Votes per project"))}">']
    for i, row in enumerate(rows):
        y = top + i * row_h
        out.append(f'<text x="0" y="{y + 24}" class="chart-label">{escape(row["id"])}</text>')
        x: float = label_w
        for p in parts:
            w = bar_w * row.get(p, 0) / total
            if w:
                out.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{row_h - 10}" '
                           f'fill="{COLOURS[p]}"><title>{escape(labels[p])}: '
                           f'{row.get(p, 0)}</title></rect>')
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + 24}" class="chart-value">'
                   f'{row.get(parts[0], 0)}</text>')
    if majority:
        x = label_w + bar_w * majority.needed / total
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" '
                   f'y2="{top + row_h * len(rows)}" stroke="#111" stroke-width="2" '
                   f'stroke-dasharray="6 4" class="majority-line"><title>'
                   f'{escape(majority_label)}</title></line>'
                   f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle" '
                   f'class="chart-legend">{escape(majority_label)}</text>')
    for n, p in enumerate(parts):
        y = legend_top + 30 * n
        out.append(f'<rect x="{label_w}" y="{y}" width="20" height="20" '
                   f'fill="{COLOURS[p]}"/><text x="{label_w + 28}" y="{y + 17}" '
                   f'class="chart-legend">{escape(labels[p])}</text>')
    out.append("</svg>")
    return "".join(out)


LABEL_PX = 13
"""The chart labels' font size (booth/static/piaojue.css): a CJK character is
about this wide, a Latin one about half."""


def _text_width(text: str) -> float:
    return sum(LABEL_PX if unicodedata.east_asian_width(c) in "WF" else LABEL_PX * 0.55
               for c in text)


def fit_label(text: str, width: float) -> str:
    """``text`` if it fits in ``width`` pixels, else its end after an ellipsis.

    Round titles share their beginning (年度民生实事项目…) and differ at the
    end (年中票评, 年终满意度测评), so the end is what to keep.
    """
    if _text_width(text) <= width:
        return text
    kept = ""
    for c in reversed(text):
        if _text_width("…" + c + kept) > width:
            break
        kept = c + kept
    return "…" + kept


def rating_history(points: list[tuple[str, int, int, str]], threshold: float,
                   _: Callable[[str], str]) -> str:
    """A project's ratings over time: one dot per rating round at its 满意率
    ((satisfied + basically satisfied) / marks), coloured by class, against the
    threshold line. ``points`` are (round label, good, marks, class)."""
    width, height, left, top, plot_h = 560, 200, 44, 12, 140
    step = (width - left - 20) / max(1, len(points))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
           f'viewBox="0 0 {width} {height}" '
           f'aria-label="{escape(_("Satisfaction rate per rating round"))}">']
    for pct in (0, 50, 100):
        y = top + plot_h * (1 - pct / 100)
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#ccc"/><text x="0" y="{y + 4:.1f}" class="chart-label">'
                   f'{pct}%</text>')
    y = top + plot_h * (1 - threshold)
    threshold_label = _("Threshold")
    out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" '
               f'stroke="{COLOURS["dissatisfied"]}" stroke-dasharray="6 4"><title>'
               f'{escape(threshold_label)}: {threshold:.0%}</title></line>')
    previous = None
    for i, (label, good, marks, cls) in enumerate(points):
        x = left + step * (i + 0.5)
        rate = good / marks if marks else 0.0
        y = top + plot_h * (1 - rate)
        if previous:
            out.append(f'<line x1="{previous[0]:.1f}" y1="{previous[1]:.1f}" x2="{x:.1f}" '
                       f'y2="{y:.1f}" stroke="#555"/>')
        previous = (x, y)
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="{COLOURS[cls]}"><title>'
                   f'{escape(label)}: {good}/{marks}</title></circle>'
                   f'<text x="{x:.1f}" y="{y - 12 if y > 30 else y + 24:.1f}" '
                   f'text-anchor="middle" '
                   f'class="chart-value">{rate:.0%}</text>'
                   f'<text x="{x:.1f}" y="{height - 24}" text-anchor="middle" '
                   f'class="chart-label">{escape(fit_label(label, step - 8))}</text>')
    x = left
    labels = {"satisfied": _("Satisfied"), "basically_satisfied": _("Basically satisfied"),
              "dissatisfied": _("Dissatisfied")}
    for cls, text in labels.items():
        out.append(f'<circle cx="{x + 6}" cy="{height - 8}" r="6" fill="{COLOURS[cls]}"/>'
                   f'<text x="{x + 16}" y="{height - 3}" class="chart-legend">'
                   f'{escape(text)}</text>')
        x += 160
    out.append("</svg>")
    return "".join(out)
