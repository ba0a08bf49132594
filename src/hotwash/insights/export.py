"""Every chart's data as CSV and JSON, from the same `Table` the page shows.

A page view hands its charts to `export_response` first:

    response = export.export_response(request, charts, basename="insights")
    if response is not None:
        return response   # the client asked for CSV or JSON
    ...render the page...

The client asks with `?format=csv` or `?format=json`, or with an `Accept`
header of `text/csv` or `application/json`; `?chart=<name>` picks one chart
(422 naming the field when no chart has that name). One chart's CSV is its
table (a header of machine column names, then one line per row); all charts'
CSV is long ("chart,row,column,value"), so one file holds tables of different
shapes. JSON always has the shape of `chart_data`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from hotwash.core.api.errors import error_json
from hotwash.core.errors import DomainError
from hotwash.insights.charts import Chart, Table, chart_table

CSV = "csv"
JSON = "json"


def requested_format(request: HttpRequest) -> str | None:
    """ "csv", "json" or None (the page), from ?format= first, then Accept.
    A browser's Accept lists text/html first and gets the page."""
    explicit = request.GET.get("format", "").strip().lower()
    if explicit in (CSV, JSON):
        return explicit
    accept = request.headers.get("Accept", "")
    first = accept.split(",")[0].split(";")[0].strip().lower()
    if first == "text/csv":
        return CSV
    if first == "application/json":
        return JSON
    return None


def chart_data(chart: Chart) -> dict[str, Any]:
    """A chart as JSON-ready data: its name, title, summary, unit, and its
    table as column keys and rows of values."""
    table = chart_table(chart)
    return {
        "name": chart.name,
        "title": str(chart.title),
        "summary": str(chart.summary),
        "unit": str(chart.unit),
        "columns": list(table.keys),
        "headers": [str(header) for header in table.headers],
        "rows": [[cell.value for cell in row] for row in table.rows],
    }


def _safe(value: object) -> object:
    """A cell a spreadsheet will not run: text starting with = + - @ (a
    service's name, say) gets a leading apostrophe. Numbers pass unchanged."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.keys)
    for row in table.rows:
        writer.writerow([_safe(cell.value) for cell in row])
    return out.getvalue()


def charts_csv(charts: Sequence[Chart]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("chart", "row", "column", "value"))
    for chart in charts:
        table = chart_table(chart)
        for row in table.rows:
            row_label = row[0].value
            for key, cell in zip(table.keys[1:], row[1:], strict=True):
                writer.writerow((chart.name, _safe(row_label), key, _safe(cell.value)))
    return out.getvalue()


def select(charts: Sequence[Chart], name: str) -> list[Chart] | None:
    """The charts `?chart=` names (all of them for ""), or None if none has
    that name."""
    if not name:
        return list(charts)
    chosen = [chart for chart in charts if chart.name == name]
    return chosen or None


def export_response(
    request: HttpRequest, charts: Sequence[Chart], *, basename: str
) -> HttpResponse | None:
    """The CSV or JSON answer the request asks for, or None for the page."""
    wanted = requested_format(request)
    if wanted is None:
        return None
    name = request.GET.get("chart", "").strip()
    chosen = select(charts, name)
    if chosen is None:
        known = ", ".join(chart.name for chart in charts)
        message = _("chart: no chart is called %(name)s; the charts are: %(known)s.") % {
            "name": name,
            "known": known,
        }
        return error_json(422, message, "chart")
    if wanted == JSON:
        payload = {"charts": [chart_data(chart) for chart in chosen]}
        return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    text = table_csv(chart_table(chosen[0])) if name else charts_csv(chosen)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    filename = f"{basename}-{name}.csv" if name else f"{basename}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def error_response(error: DomainError) -> JsonResponse:
    """A bad filter, for a client that asked for data: the message and the
    parameter it names, with the error's status (422 for bad input)."""
    return error_json(error.status_code, error.message, error.field)
