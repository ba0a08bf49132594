"""The insights page: figures for the people who make time for learning.
Thin: parse the filters, build the charts (present), answer with the page
or, when asked, with the charts' data as CSV or JSON (export)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hotwash.core.errors import InvalidInput
from hotwash.incidents.models import Service
from hotwash.insights import export, figures, present, queries
from hotwash.insights.access import can_view_insights
from hotwash.insights.charts import show
from hotwash.insights.forms import FilterForm
from hotwash.reports.queries import can_review_reports
from hotwash.teams.models import Team


@login_required
def insights(request: HttpRequest) -> HttpResponse:
    if not can_view_insights(request.user):
        raise PermissionDenied
    now = timezone.now()
    today = timezone.localdate(now)
    form = FilterForm(request.GET, services=_service_names(), teams=_teams())
    form.is_valid()
    try:
        filters = queries.Filters.parse(request.GET, today)
    except InvalidInput as error:
        if export.requested_format(request):
            return export.error_response(error)
        form.attach(error)
        context = {"nav": "insights", "form": form, "error_form": form, "sections": []}
        return render(request, "insights/insights.html", context, status=400)
    context_data = present.Context(
        filters=filters, today=today, now=now, reviews_reports=can_review_reports(request.user)
    )
    found = figures.figures(request.user, context_data)
    response = export.export_response(request, found.charts, basename="insights")
    if response is not None:
        return response
    context = {
        "nav": "insights",
        "form": form,
        "filters": filters,
        "period": filters.period,
        "export_query": urlencode(filters.query()),
        "sections": [
            (section, [show(chart, found.drawings.get(chart.name)) for chart in section.charts])
            for section in found.sections
        ],
        "computed_at": found.computed_at,
        "stale": found.stale,
    }
    return render(request, "insights/insights.html", context)


def _service_names() -> list[str]:
    return list(Service.objects.order_by("name").values_list("name", flat=True)[:500])


def _teams() -> list[tuple[str, str]]:
    return list(Team.objects.order_by("name").values_list("slug", "name"))
