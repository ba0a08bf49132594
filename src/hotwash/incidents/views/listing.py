"""The incident list: filters, sorting and pages, at any scale.

A page costs a fixed number of queries (count, page, services of the page),
whatever the number of incidents or rows shown.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.functional import cached_property

from hotwash.core.errors import InvalidInput
from hotwash.incidents.forms import FilterForm
from hotwash.incidents.models import Incident, Service
from hotwash.incidents.queries import IncidentFilters, search_incidents, team_choices

PER_PAGE = 50
# Counting every match costs time in proportion to the table; past this
# many the list says "more than 10,000" and filters narrow it down.
COUNT_CAP = 10_000


class CappedPaginator(Paginator[Incident]):
    """Django's paginator, counting at most COUNT_CAP + 1 rows, so a page
    costs the same at 100,000 incidents as at 1,000."""

    @cached_property
    def count(self) -> int:
        # Without ordering the database can stop at the first COUNT_CAP + 1
        # rows it finds instead of sorting them all.
        incidents = cast(QuerySet[Incident], self.object_list)
        return incidents.order_by()[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET, services=_service_names(), teams=team_choices())
    form.is_valid()
    try:
        filters = IncidentFilters.parse(request.GET)
    except InvalidInput as error:
        form.attach(error)
        return _render(request, form, incidents=Incident.objects.none(), status=400)
    return _render(request, form, incidents=search_incidents(request.user, filters))


def _render(
    request: HttpRequest, form: FilterForm, *, incidents: QuerySet[Incident], status: int = 200
) -> HttpResponse:
    paginator = CappedPaginator(incidents, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "nav": "list",
        "form": form,
        "error_form": form if form.errors else None,
        "page": page,
        "incidents": list(page.object_list),
        # The number chooses the plural; the text shows it grouped ("10,000").
        "count_cap": COUNT_CAP,
        "count_cap_text": number_format(COUNT_CAP, force_grouping=True),
    }
    return render(request, "incidents/list.html", context, status=status)


def _service_names() -> list[str]:
    # A few hundred names at most; suggestions for the service filter.
    return list(Service.objects.order_by("name").values_list("name", flat=True)[:500])
