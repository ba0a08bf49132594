"""API routes for insights and themes, mounted under /api/v1/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router

from hotwash.accounts.api_auth import caller
from hotwash.core.api.errors import ERRORS
from hotwash.core.errors import InvalidInput, PermissionDenied
from hotwash.insights import export, figures, present, queries
from hotwash.insights.access import can_view_insights
from hotwash.insights.schemas import InsightsOut, InsightsQuery
from hotwash.reports.queries import can_review_reports

router = Router(tags=["Insights"])


@router.get(
    "/insights",
    response={200: InsightsOut, **ERRORS},
    summary="Insights: incidents, durations, follow-through, time invested",
    operation_id="get_insights",
)
def get_insights(request: HttpRequest, query: Query[InsightsQuery]) -> dict[str, Any]:
    """The charts of the insights page as data tables, for the incidents
    the caller may see (private ones only for their readers), with the same
    filters as the page. For admins and holders of "view insights"; 403 for
    anyone else. `chart` picks one chart (422 for an unknown name)."""
    user = caller(request)
    if not can_view_insights(user):
        raise PermissionDenied(_no_permission())
    now = timezone.now()
    today = timezone.localdate(now)
    filters = queries.Filters.parse(query.model_dump(exclude_none=True), today)
    context = present.Context(filters, today, now, reviews_reports=can_review_reports(user))
    wanted = (query.chart or "").strip()
    if wanted and wanted not in present.CHART_NAMES:
        raise InvalidInput(_("No chart is called %(name)s.") % {"name": query.chart}, field="chart")
    found = figures.figures(user, context)
    chosen = export.select(found.charts, wanted) or []
    period = filters.period
    return {
        "period": {
            "kind": period.key,
            "first_day": period.first_day,
            "last_day": period.last_day,
            "weeks": period.weeks,
        },
        "computed_at": found.computed_at,
        "stale": found.stale,
        "charts": [export.chart_data(chart) for chart in chosen],
    }


def _no_permission() -> str:
    return _("Insights are for admins and for people granted the view insights permission.")
