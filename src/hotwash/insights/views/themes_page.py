"""The themes page: recurring contributing factors, as tables (and a chart
over time), with their CSV and JSON.

Every table the page shows is a `charts.Table`, and the exports are those
same tables: `?format=csv&chart=<name>` gives one table as CSV (the page's
"CSV" links), `?format=json` all of them with the filters they answer.
The query and what it counts are in hotwash.insights.themes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from hotwash.core.forms import HotwashForm
from hotwash.incidents.models import Service
from hotwash.insights import export
from hotwash.insights.access import can_view_insights
from hotwash.insights.charts import Cell, Chart, ChartKind, Series, Table, chart_table, show
from hotwash.insights.themes import (
    GROUPINGS,
    MONTH,
    PERIODS,
    Bucket,
    ItemCounts,
    Theme,
    ThemeFilters,
    Themes,
    build_themes,
)
from hotwash.policies import incident_types
from hotwash.postmortems.factors import taxonomy
from hotwash.teams.models import Team


class ThemeFilterForm(HotwashForm):
    """The page's filters, sent by GET; `ThemeFilters.parse` reads them."""

    id_prefix = "themes"

    months = forms.ChoiceField(label=gettext_lazy("Period"), required=False)
    by = forms.ChoiceField(label=pgettext_lazy("themes", "Counted by"), required=False)
    service = forms.ChoiceField(label=gettext_lazy("Service"), required=False)
    team = forms.ChoiceField(label=gettext_lazy("Team"), required=False)
    type = forms.ChoiceField(label=pgettext_lazy("themes", "Incident type"), required=False)
    factor = forms.ChoiceField(label=pgettext_lazy("themes", "Contributing factor"), required=False)

    def __init__(self, *args: Any, free_tags: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = {name: _choice_field(self, name) for name in self.fields}
        fields["months"].choices = [
            (str(months), ngettext("Last %(count)s month", "Last %(count)s months", months)
             % {"count": months})
            for months in PERIODS
        ]  # fmt: skip
        fields["by"].choices = [(MONTH, _("Month")), ("quarter", pgettext("themes", "Quarter"))]
        assert set(GROUPINGS) == {MONTH, "quarter"}
        fields["service"].choices = [
            ("", _("Every service")),
            *(
                (name, name)
                for name in Service.objects.order_by("name").values_list("name", flat=True)
            ),
        ]
        fields["team"].choices = [
            ("", _("Every team")),
            *Team.objects.order_by("name").values_list("slug", "name"),
        ]
        fields["type"].choices = [
            ("", _("Every type")),
            *((key, definition.name.get()) for key, definition in incident_types().items()),
        ]
        fields["factor"].choices = [
            ("", _("Every factor")),
            *((key, definition.name.get()) for key, definition in taxonomy().items()),
            *((tag, tag) for tag in free_tags),
        ]


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _page_url(filters: ThemeFilters, **changes: Any) -> str:
    query = urlencode(filters.query(**changes))
    return reverse("insights:themes") + (f"?{query}" if query else "")


def _bucket_label(bucket: Bucket) -> str:
    """ "2026-03" for a month; a quarter as each language writes it."""
    if "-Q" not in bucket.label:
        return bucket.label
    year, quarter = bucket.label.split("-Q")
    return _("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": year}


def _items_done(items: ItemCounts) -> str:
    if items.total == 1:
        if items.done:
            return _("Its only action item is done.")
        return _("Its only action item is not done yet.")
    # The verb agrees with the number done ("1 of its 12 ... is done").
    return ngettext(
        "%(done)s of its %(count)s action items is done.",
        "%(done)s of its %(count)s action items are done.",
        items.done,
    ) % {"done": items.done, "count": items.total}


def headline(theme: Theme) -> str:
    """ "Monitoring gap appeared in 7 postmortems. 5 of its 12 action items
    are done." as two whole sentences, each in its own plural."""
    appeared = ngettext(
        "%(factor)s appeared in %(count)s postmortem.",
        "%(factor)s appeared in %(count)s postmortems.",
        theme.count,
    ) % {"factor": theme.name, "count": theme.count}
    if not theme.items.total:
        return f"{appeared} {_('Its postmortems have no action items.')}"
    return f"{appeared} {_items_done(theme.items)}"


def _number(value: int, href: str = "") -> Cell:
    return Cell(value, str(value), href)


def factors_table(themes: Themes) -> Table:
    rows = tuple(
        (
            Cell(theme.value, theme.name),
            _number(
                theme.count, _page_url(themes.filters, factor=theme.value) if theme.count else ""
            ),
            _number(theme.items.total),
            _number(theme.items.done),
            _number(theme.items.open),
            _number(theme.items.wont_do),
        )
        for theme in [*themes.factors, *themes.free_tags]
    )
    return Table(
        keys=("factor", "postmortems", "action_items", "done", "open", "wont_do"),
        headers=(
            pgettext("themes", "Contributing factor"),
            pgettext("themes", "Postmortems"),
            pgettext("themes", "Action items"),
            pgettext("themes", "Done"),
            pgettext("themes", "Still open"),
            pgettext("themes", "Won't do"),
        ),
        rows=rows,
    )


def over_time_chart(themes: Themes) -> Chart:
    wanted = themes.filters.factor.casefold()
    if wanted:
        # One factor's chart: the other factors of its postmortems are in the tables.
        shown = [
            theme
            for theme in [*themes.factors, *themes.free_tags]
            if theme.count and theme.value.casefold() == wanted
        ]
    else:
        # Free tags are listed, not drawn: too many to tell apart by colour and pattern.
        shown = themes.tagged
    total = len(themes.postmortems)
    return Chart(
        name="over-time",
        title=_("Contributing factors over time"),
        summary=ngettext(
            "%(count)s postmortem tagged in this period, counted once for each factor.",
            "%(count)s postmortems tagged in this period, counted once for each factor.",
            total,
        )
        % {"count": total},
        kind=ChartKind.BARS,
        category_title=pgettext("themes", "Quarter") if themes.filters.by != MONTH else _("Month"),
        categories=tuple(_bucket_label(bucket) for bucket in themes.buckets),
        series=tuple(
            Series(theme.value, theme.name, tuple(float(n) for n in theme.per_bucket))
            for theme in shown
        ),
        empty_text=_("No postmortem was tagged with a contributing factor in this period."),
    )


def breakdown_table(themes: Themes, counts: dict[str, dict[str, int]], first: str) -> Table:
    """Postmortems per factor for each service (or team): one column per
    factor that appears."""
    columns = [theme for theme in [*themes.tagged, *themes.free_tags] if theme.count]
    rows = tuple(
        (Cell(name, name), *(_number(by_factor.get(theme.value, 0)) for theme in columns))
        for name, by_factor in counts.items()
    )
    return Table(
        keys=("name", *(theme.value for theme in columns)),
        headers=(first, *(theme.name for theme in columns)),
        rows=rows,
    )


def postmortems_table(themes: Themes) -> Table:
    rows = []
    for row in themes.postmortems:
        postmortem = row.postmortem
        items_href = reverse("actions:list") + "?" + urlencode({"postmortem": postmortem.ref})
        rows.append(
            (
                Cell(
                    postmortem.ref,
                    f"{postmortem.ref} {postmortem.title}",
                    reverse("postmortems:detail", args=[postmortem.pk]),
                ),
                Cell(row.when.date().isoformat(), row.when.date().isoformat()),
                Cell(
                    "; ".join(factor.value for factor in row.factors),
                    ", ".join(factor.name() for factor in row.factors),
                ),
                Cell("; ".join(row.services), ", ".join(row.services)),
                _number(row.items.total, items_href if row.items.total else ""),
                _number(row.items.done),
            )
        )
    return Table(
        keys=("postmortem", "date", "factors", "services", "action_items", "done"),
        headers=(
            pgettext("themes", "Postmortem"),
            _("Incident declared"),
            pgettext("themes", "Contributing factors"),
            pgettext("themes", "Services"),
            pgettext("themes", "Action items"),
            pgettext("themes", "Done"),
        ),
        rows=tuple(rows),
    )


def tables(themes: Themes) -> dict[str, tuple[str, Table]]:
    """Every table of the page by its export name, with its caption."""
    return {
        "factors": (_("How often each contributing factor recurs"), factors_table(themes)),
        "over-time": (_("Contributing factors over time"), chart_table(over_time_chart(themes))),
        "by-service": (
            _("Postmortems per contributing factor, by service"),
            breakdown_table(themes, themes.by_service, _("Service")),
        ),
        "by-team": (
            _("Postmortems per contributing factor, by team"),
            breakdown_table(themes, themes.by_team, _("Team")),
        ),
        "postmortems": (_("Postmortems counted"), postmortems_table(themes)),
    }


def _export(request: HttpRequest, themes: Themes) -> HttpResponse | None:
    """The insights pages' export conventions (hotwash.insights.export):
    ?format= or Accept, ?chart= for one table (422 naming the field for an
    unknown name)."""
    wanted = export.requested_format(request)
    if wanted is None:
        return None
    every = tables(themes)
    name = request.GET.get("chart", "").strip()
    if name and name not in every:
        message = _("chart: no chart is called %(name)s; the charts are: %(known)s.") % {
            "name": name,
            "known": ", ".join(every),
        }
        return JsonResponse({"detail": message, "field": "chart"}, status=422)
    chosen = {name: every[name]} if name else every
    if wanted == export.JSON:
        payload = {
            "filters": themes.filters.query(),
            "period": {
                "start": themes.buckets[0].start.isoformat(),
                "end": themes.buckets[-1].end.isoformat(),
                "by": themes.filters.by,
            },
            "charts": [
                {
                    "name": key,
                    "title": title,
                    "columns": list(table.keys),
                    "headers": [str(header) for header in table.headers],
                    "rows": [[cell.value for cell in row] for row in table.rows],
                }
                for key, (title, table) in chosen.items()
            ],
        }
        return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    # One table per file: the tables have different columns.
    key = name or "factors"
    response = HttpResponse(export.table_csv(every[key][1]), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="themes-{key}.csv"'
    return response


@login_required
def themes(request: HttpRequest) -> HttpResponse:
    if not can_view_insights(request.user):
        raise PermissionDenied
    filters = ThemeFilters.parse(request.GET)
    found = build_themes(request.user, filters)
    exported = _export(request, found)
    if exported is not None:
        return exported
    every = tables(found)
    form = ThemeFilterForm(
        initial={**filters.query(), "months": str(filters.months), "by": filters.by},
        free_tags=[theme.value for theme in found.free_tags],
    )
    context = {
        "nav": "insights",
        "form": form,
        "themes": found,
        "headlines": [
            (headline(theme), _page_url(filters, factor=theme.value))
            for theme in [*found.tagged, *found.free_tags]
            if theme.count
        ],
        "chart": show(over_time_chart(found)),
        "tables": [
            {"name": name, "title": title, "table": table}
            for name, (title, table) in every.items()
            if name != "over-time"
        ],
        "export_query": urlencode(filters.query()),
        "all_factors_url": _page_url(filters, factor=""),
    }
    return render(request, "insights/themes.html", context)
