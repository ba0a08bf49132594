"""The chart kit: accessible SVG from pygal, tables, percentiles, exports."""

from __future__ import annotations

import re

import pytest

from hotwash.insights import export
from hotwash.insights.charts import (
    Box,
    Chart,
    ChartKind,
    Series,
    box_from_values,
    chart_table,
    percentile,
    render_svg,
)

pytestmark = pytest.mark.database_independent

WEEKS = Chart(
    name="weekly",
    title="Incidents <per> week",
    summary="Three & counting.",
    kind=ChartKind.STACKED,
    category_title="Week",
    categories=("2026-03-02", "2026-03-09"),
    series=(
        Series("1", "SEV1", (1, 0), hrefs=("/en/incidents/?severity=1", "")),
        Series("2", "SEV2", (0, 2)),
    ),
)


def test_the_svg_is_an_image_labelled_by_its_title_and_summary() -> None:
    svg = str(render_svg(WEEKS))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" id="chart-weekly"')
    assert 'role="img" aria-labelledby="chart-weekly-title chart-weekly-desc"' in svg
    assert '<title id="chart-weekly-title">Incidents &lt;per&gt; week</title>' in svg
    assert '<desc id="chart-weekly-desc">Three &amp; counting.</desc>' in svg


def test_the_svg_has_no_script_style_or_random_id() -> None:
    svg = str(render_svg(WEEKS))
    assert "<script" not in svg and "<style" not in svg and 'style="' not in svg
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", svg)
    assert 'id="chart-weekly-serie-1"' in svg  # legend ids unique per chart
    # Each series carries its class, which charts.css fills with a pattern.
    assert 'class="series serie-1 color-1"' in svg
    assert render_svg(WEEKS) == render_svg(WEEKS)


def test_an_empty_chart_draws_nothing() -> None:
    empty = Chart(name="e", title="t", summary="s", kind=ChartKind.BARS, categories=("a",),
                  series=(Series("x", "X", (0,)),))  # fmt: skip
    assert render_svg(empty) == ""


def test_the_table_has_a_row_per_category_and_a_total() -> None:
    table = chart_table(WEEKS)
    assert table.keys == ("category", "1", "2", "total")
    assert [[cell.text for cell in row] for row in table.rows] == [
        ["2026-03-02", "1", "0", "1"],
        ["2026-03-09", "0", "2", "2"],
    ]
    assert table.rows[0][1].href == "/en/incidents/?severity=1"


def test_percentiles_interpolate_like_postgresql() -> None:
    values = [float(n) for n in range(1, 11)]
    assert percentile(values, 0.5) == 5.5
    assert percentile(values, 0.9) == pytest.approx(9.1)
    assert percentile(values, 0.1) == pytest.approx(1.9)
    assert percentile([], 0.5) is None
    box = box_from_values("k", "SEV1", [4.0, 1.0, 2.0, 3.0])
    assert (box.count, box.q1, box.median, box.q3) == (4, 1.75, 2.5, 3.25)


def test_a_box_is_drawn_from_our_percentiles() -> None:
    chart = Chart(name="b", title="t", summary="s", kind=ChartKind.BOX,
                  boxes=(Box("k", "SEV1", 10, 1.9, 3.25, 5.5, 7.75, 9.1),))  # fmt: skip
    svg = str(render_svg(chart))
    # pygal's own tooltip text repeats the five numbers it drew.
    assert "Min: 1.9\nQ1 : 3.25\nQ2 : 5.5\nQ3 : 7.75\nMax: 9.1" in svg


def test_csv_cells_a_spreadsheet_would_run_are_quoted() -> None:
    chart = Chart(name="s", title="t", summary="s", kind=ChartKind.BARS, category_title="Service",
                  categories=("=HYPERLINK(1)", "api"), series=(Series("n", "N", (1, 2)),))  # fmt: skip
    text = export.table_csv(chart_table(chart))
    assert text.splitlines()[1] == "'=HYPERLINK(1),1,1"
