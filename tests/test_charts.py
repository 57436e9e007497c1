"""The inline-SVG charts: labels fit their place, full titles stay in the tooltip."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from booth.charts import LABEL_PX, _text_width, fit_label, rating_history

TITLES = ["2026年度民生实事项目年中票评", "2026年度民生实事项目年终满意度测评", "整改项目再评"]


@given(text=st.text(min_size=1, max_size=40), width=st.floats(min_value=2 * LABEL_PX,
                                                                   max_value=600))
def test_a_fitted_label_fits_and_keeps_the_end(text: str, width: float) -> None:
    fitted = fit_label(text, width)
    if fitted == text:
        assert _text_width(text) <= width
    else:
        assert fitted.startswith("…")
        assert text.endswith(fitted[1:])
        assert _text_width(fitted) <= width


def test_round_titles_keep_what_tells_them_apart() -> None:
    assert fit_label(TITLES[0], 150).endswith("年中票评")
    assert fit_label(TITLES[1], 150).endswith("年终满意度测评")
    assert fit_label(TITLES[2], 150) == "整改项目再评"


def test_the_rating_chart_labels_each_round_and_keeps_full_titles() -> None:
    svg = rating_history([(TITLES[0], 5, 5, "satisfied"), (TITLES[1], 3, 5, "dissatisfied"),
                          (TITLES[2], 5, 5, "satisfied")], 0.8, lambda s: s)
    labels = re.findall(r'class="chart-label">([^<]*)</text>', svg)
    assert labels[3:] == [fit_label(t, (560 - 44 - 20) / 3 - 8) for t in TITLES]
    assert len(set(labels[3:])) == 3
    for title, good in zip(TITLES, (5, 3, 5), strict=True):
        assert f"<title>{title}: {good}/5</title>" in svg
