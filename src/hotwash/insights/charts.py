"""The chart kit of the insights and themes pages: a chart is data first
(`Chart`: categories and series, or boxes), drawn on the server as an
accessible SVG by pygal, and always shown beside its text summary and its
data table (`insights/_chart.html`), so a screen reader, a printout and a
colour-blind reader get the same facts.

Use:

    chart = Chart(
        name="incidents-by-severity",          # unique on the page, CSV key
        title=_("Incidents per week by severity"),
        summary=_("42 incidents; 7 of them SEV1."),
        kind=ChartKind.STACKED,
        category_title=_("Week"),
        categories=("2026-11-02", "2026-11-09"),
        series=(Series("1", "SEV1", (3, 4), hrefs=("/en/incidents/?...", "")),),
    )
    svg = render_svg(chart)   # SafeString, inline in the page
    table = chart_table(chart)  # the same data as rows, for the table and CSV

Box charts (`ChartKind.BOX`) take `Box` summaries (count, p10, quartiles,
p90) computed by the caller: the box spans the quartiles, the whiskers run
from the 10th to the 90th percentile.

Why pygal, and why the post-processing in `render_svg`: pygal is a kept,
pure-Python SVG library (no browser, no build), and it gives every series a
class (`color-N`), which lets a stylesheet add patterns as well as colours.
The site's Content-Security-Policy allows styles from our own files only, so
the `<style>` pygal inlines would be refused: we drop it and style the charts
from `insights/charts.css`, whose fills refer to the patterns in
`insights/_chart_patterns.html` (include it once per page). We also give the
root element `role="img"` and a `<title>`/`<desc>` that `aria-labelledby`
names, make the ids stable (pygal uses a random one) and leave out pygal's
script, which would load from a CDN.
"""

from __future__ import annotations

import enum
import functools
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _


@functools.cache
def _pygal() -> Any:
    """pygal, imported when the first chart is drawn: with the package
    metadata it reads (importlib_metadata) it costs 0.08 s, which every
    process would otherwise spend as it starts (this module's data types
    are loaded with the insights queries), though most never draw a chart."""
    import pygal  # type: ignore[import-untyped]
    import pygal.style  # type: ignore[import-untyped]

    # pygal adds an import hook for its map plugins (pygal.maps.*) that has no
    # find_spec, so Python warns on every later import that passes it (an
    # error in the tests). We draw no maps: take the hook out again.
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]
    return pygal


# Series colours, each at least 4.5:1 against white (so also fit for text),
# in an order where neighbours differ in lightness as well as hue. Series past
# the first also carry a pattern (see charts.css), so colour is never the
# only way to tell two series apart.
PALETTE = (
    "#1f4e79",  # dark blue
    "#a64b00",  # burnt orange
    "#2e6b30",  # green
    "#6a1b9a",  # purple
    "#b00020",  # red
    "#00606b",  # teal
    "#5d4037",  # brown
    "#3f4a52",  # slate
)


@functools.cache
def _style() -> Any:
    return _pygal().style.Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1a1a1a",
        foreground_strong="#1a1a1a",
        foreground_subtle="#6b6b6b",
        colors=PALETTE,
        font_family="system-ui, sans-serif",
        label_font_size=12,
        major_label_font_size=12,
        legend_font_size=13,
        value_font_size=11,
        title_font_size=15,
    )


class ChartKind(enum.StrEnum):
    STACKED = "stacked"  # stacked bars: parts of a whole per category
    BARS = "bars"  # grouped bars: series side by side per category
    BOX = "box"  # one box per `Box`: a distribution


@dataclass(frozen=True)
class Series:
    """One named row of values, one value per category. `key` is the machine
    name (a severity number, a type key) used in CSV and JSON; `hrefs`, when
    given, links each value to the list behind it ("" for no link)."""

    key: str
    label: str
    values: tuple[float | None, ...]
    hrefs: tuple[str, ...] = ()

    def href(self, index: int) -> str:
        return self.hrefs[index] if index < len(self.hrefs) else ""


@dataclass(frozen=True)
class Box:
    """A distribution summarised: how many values, and the 10th, 25th, 50th,
    75th and 90th percentiles (None when there are no values)."""

    key: str
    label: str
    count: int
    p10: float | None
    q1: float | None
    median: float | None
    q3: float | None
    p90: float | None
    href: str = ""


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    summary: str
    kind: ChartKind
    category_title: str = ""
    categories: tuple[str, ...] = ()
    series: tuple[Series, ...] = ()
    boxes: tuple[Box, ...] = ()
    # The unit of the values, shown in the axis title and table headers
    # ("hours"); "" for counts.
    unit: str = ""
    # Decimal places in the table and exports.
    digits: int = 0
    # What an empty chart says instead of drawing nothing.
    empty_text: str = ""

    @property
    def is_empty(self) -> bool:
        if self.kind is ChartKind.BOX:
            return not any(box.count for box in self.boxes)
        return not any(value for series in self.series for value in series.values)


@dataclass(frozen=True)
class Cell:
    """One table cell: the value (for CSV and JSON), its text, and the link
    to the list behind it."""

    value: float | int | str | None
    text: str
    href: str = ""


@dataclass(frozen=True)
class Table:
    keys: tuple[str, ...]  # machine column names, for CSV and JSON
    headers: tuple[str, ...]  # translated column headers, for the page
    rows: tuple[tuple[Cell, ...], ...] = field(default_factory=tuple)


def format_number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    if digits == 0:
        return str(round(value))
    return f"{value:.{digits}f}"


def _round(value: float | None, digits: int) -> float | int | None:
    if value is None:
        return None
    return round(value) if digits == 0 else round(value, digits)


def chart_table(chart: Chart) -> Table:
    """The chart's data as a table: for bars, one row per category and one
    column per series (and a total); for boxes, one row per box."""
    if chart.kind is ChartKind.BOX:
        return _box_table(chart)
    keys = ("category", *(series.key for series in chart.series), "total")
    headers = (chart.category_title, *(series.label for series in chart.series), _("Total"))
    rows = []
    for index, category in enumerate(chart.categories):
        cells = [Cell(category, category)]
        total = 0.0
        for series in chart.series:
            value = series.values[index] if index < len(series.values) else None
            total += value or 0
            rounded = _round(value, chart.digits)
            cells.append(Cell(rounded, format_number(rounded, chart.digits), series.href(index)))
        rounded_total = _round(total, chart.digits)
        cells.append(Cell(rounded_total, format_number(rounded_total, chart.digits)))
        rows.append(tuple(cells))
    return Table(keys=keys, headers=headers, rows=tuple(rows))


def _box_table(chart: Chart) -> Table:
    keys = ("group", "count", "p10", "q1", "median", "q3", "p90")
    headers = (
        chart.category_title,
        _("Incidents"),
        _("10th percentile"),
        _("25th percentile"),
        _("Median"),
        _("75th percentile"),
        _("90th percentile"),
    )
    rows = []
    for box in chart.boxes:
        cells = [Cell(box.label, box.label), Cell(box.count, str(box.count), box.href)]
        for value in (box.p10, box.q1, box.median, box.q3, box.p90):
            rounded = _round(value, chart.digits)
            cells.append(Cell(rounded, format_number(rounded, chart.digits)))
        rows.append(tuple(cells))
    return Table(keys=keys, headers=headers, rows=tuple(rows))


def _config(chart: Chart) -> dict[str, object]:
    columns = len(chart.boxes) if chart.kind is ChartKind.BOX else len(chart.categories)
    return {
        "style": _style(),
        "js": [],  # pygal's default script loads from a CDN
        "css": [],
        "disable_xml_declaration": True,
        "show_title": False,  # the page's heading is the title
        "width": 760,
        "height": 340,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 3,
        "truncate_legend": 40,
        "x_label_rotation": 0 if columns <= 6 else 30,
        "truncate_label": -1,  # never cut a label ("SEV1 · 2026 Q3")
        "show_minor_x_labels": columns <= 16,
        "y_title": chart.unit or None,
        "print_values": False,
    }


def _pygal_chart(chart: Chart) -> Any:
    pygal = _pygal()
    config = _config(chart)
    if chart.kind is ChartKind.BOX:
        # The x labels name the boxes: a legend would repeat them.
        graph = pygal.Box(box_mode="extremes", **{**config, "show_legend": False})
        graph.x_labels = [box.label for box in chart.boxes]
        for box in chart.boxes:
            graph.add(box.label, _box_values(box))
        return graph
    kind = pygal.StackedBar if chart.kind is ChartKind.STACKED else pygal.Bar
    graph = kind(**config)
    graph.x_labels = list(chart.categories)
    if len(chart.categories) > 16:
        # Label every fourth week: 52 labels would overlap.
        graph.x_labels_major = list(chart.categories[::4])
    for series in chart.series:
        graph.add(series.label, list(series.values))
    return graph


def _box_values(box: Box) -> list[float]:
    """Seven values from which pygal's own quartile method (extremes mode)
    gives back exactly our percentiles: whiskers at p10 and p90, the box from
    q1 to q3, the line at the median (see pygal.graph.box._box_points)."""
    if not box.count or box.median is None:
        return []
    p10, q1, q3, p90 = (box.p10, box.q1, box.q3, box.p90)
    assert p10 is not None and q1 is not None and q3 is not None and p90 is not None
    return [p10, q1, q1, box.median, q3, q3, p90]


_UUID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
# pygal writes its configuration into a script (for its CDN script) and
# titles the drawing "Pygal": neither helps anyone.
_SCRIPT = re.compile(r"<script[^>]*>.*?</script>", re.S)
_PYGAL_TITLE = "<title>Pygal</title>"


def render_svg(chart: Chart) -> SafeString:
    """The chart as an inline SVG element, labelled by its title and summary.
    An empty chart draws nothing: the template shows its empty text."""
    if chart.is_empty:
        return mark_safe("")
    return mark_safe(_render(chart))  # pygal escapes the labels and values it writes


# pygal takes 10 to 60 ms a chart (it resolves its configuration attribute by
# attribute), more than the rest of a page. A chart is immutable data and its
# drawing depends on nothing else, so the same chart (same data, same
# language) is drawn once per process and then reused: a manager reloading
# the page, or a second manager with the same filters, pays nothing for it.
RENDER_CACHE_SIZE = 256


@functools.lru_cache(maxsize=RENDER_CACHE_SIZE)
def _render(chart: Chart) -> str:
    svg: str = _pygal_chart(chart).render(is_unicode=True)
    chart_id = f"chart-{chart.name}"
    svg = _UUID.sub(chart_id, svg)
    svg = _STYLE_ELEMENT.sub("", svg)
    svg = _COMMENT.sub("", svg)
    svg = _SCRIPT.sub("", svg).replace(_PYGAL_TITLE, "").replace("<defs></defs>", "")
    # CSP refuses inline style attributes; charts.css hides the tooltip.
    svg = svg.replace(' style="opacity: 0"', "")
    # Legend ids must be unique on a page that shows several charts.
    svg = svg.replace('id="activate-serie-', f'id="{chart_id}-serie-')
    label = (
        f'<title id="{chart_id}-title">{escape(chart.title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(chart.summary)}</desc>'
    )
    opening_end = svg.index(">") + 1
    opening = svg[: opening_end - 1] + (
        f' role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"'
        f' preserveAspectRatio="xMinYMin meet" focusable="false"'
    )
    return (
        opening.replace(' class="pygal-chart"', ' class="pygal-chart hw-chart"')
        + ">"
        + label
        + svg[opening_end:]
    )


@dataclass(frozen=True)
class ShownChart:
    """What the chart template needs: the chart, its drawing and its table."""

    chart: Chart
    svg: SafeString
    table: Table


def show(chart: Chart, drawing: str | None = None) -> ShownChart:
    """The chart with its table, and its drawing: `drawing` when it was
    drawn before (hotwash.insights.figures keeps the drawings it made), or
    drawn now."""
    svg = render_svg(chart) if drawing is None else mark_safe(drawing)  # our own drawing
    return ShownChart(chart=chart, svg=svg, table=chart_table(chart))


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` percentile of already sorted values by linear
    interpolation between closest ranks: the same definition as
    PostgreSQL's percentile_cont, so both databases give the same figures."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    weight = position - lower
    return sorted_values[lower] * (1 - weight) + sorted_values[upper] * weight


def box_from_values(key: str, label: str, values: Sequence[float], *, href: str = "") -> Box:
    """A `Box` from raw values (sorted here)."""
    ordered = sorted(values)
    p10, q1, median, q3, p90 = (percentile(ordered, f) for f in (0.1, 0.25, 0.5, 0.75, 0.9))
    return Box(key, label, len(ordered), p10, q1, median, q3, p90, href=href)
