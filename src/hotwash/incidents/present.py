"""Models to JSON-ready dicts, in the caller's language and time zone.

Rendering a page of incidents costs a fixed number of queries: services and
role holders are loaded for the whole page at once (`Related`), and times
are converted to the caller's zone so every offset is theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.core.errors import InvalidInput
from hotwash.incidents.display import describe_event, severity_description, severity_name
from hotwash.incidents.models import (
    Incident,
    IncidentRole,
    Participant,
    RoleAssignment,
    Severity,
    Status,
    Task,
    TimelineEdit,
    TimelineEvent,
    TimelineKind,
)
from hotwash.incidents.schemas import MAX_PAGE

M = TypeVar("M", bound=Model)

# Lists count matches exactly up to this many; beyond, "count_exact" is false.
COUNT_LIMIT = 10_000

# Stands in for the reference while reversing the page URL once per request.
_REF_PLACEHOLDER = "INC-0"


@dataclass(frozen=True)
class Related:
    """What an incident's JSON shows of its related rows, loaded for a whole
    page at once."""

    services: dict[int, list[str]]
    roles: dict[int, dict[str, str | None]]

    @classmethod
    def load(cls, incidents: Iterable[Incident]) -> Related:
        """Two queries for any number of incidents. Plain values, not model
        instances: Django's prefetching builds a queryset per incident, which
        costs more than the queries themselves on a 200-item page."""
        ids = [incident.pk for incident in incidents]
        services: dict[int, list[str]] = {pk: [] for pk in ids}
        links = Incident.services.through.objects.filter(incident_id__in=ids)
        for incident_id, name in links.values_list("incident_id", "service__name").order_by(
            "service__name"
        ):
            services[incident_id].append(name)
        roles: dict[int, dict[str, str | None]] = {
            pk: dict.fromkeys(IncidentRole.values) for pk in ids
        }
        holders = RoleAssignment.objects.filter(incident_id__in=ids, ended_at__isnull=True)
        for incident_id, role, holder in holders.values_list(
            "incident_id", "role", "user__username"
        ):
            roles[incident_id][role] = holder
        return cls(services=services, roles=roles)


def local(value: datetime | None) -> datetime | None:
    """A stored (UTC) time in the caller's zone, so its offset is theirs."""
    return timezone.localtime(value) if value is not None else None


def username(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


class Presenter:
    """Renders for one request: absolute URLs are built from that request."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self._page_template: str | None = None

    # --- incidents ---------------------------------------------------------

    def incident_url(self, incident: Incident) -> str:
        if self._page_template is None:
            self._page_template = self.request.build_absolute_uri(_incident_page_path())
        return self._page_template.replace(_REF_PLACEHOLDER, incident.ref)

    def incident(self, incident: Incident, related: Related | None = None) -> dict[str, Any]:
        """The incident's JSON; pass `related` when rendering many."""
        related = related or Related.load([incident])
        return {
            "id": incident.ref,
            "number": incident.pk,
            "title": incident.title,
            "status": incident.status,
            "status_name": label(Status, incident.status),
            **severity(incident.severity),
            "private": incident.private,
            "detection_source": incident.detection_source,
            "services": related.services[incident.pk],
            "summary": incident.summary,
            "impact": incident.impact,
            "impact_started_at": local(incident.impact_started_at),
            "detected_at": local(incident.detected_at),
            "declared_at": local(incident.declared_at),
            "acknowledged_at": local(incident.acknowledged_at),
            "mitigated_at": local(incident.mitigated_at),
            "resolved_at": local(incident.resolved_at),
            "closed_at": local(incident.closed_at),
            "updated_at": local(incident.updated_at),
            "version": incident.version,
            "roles": related.roles[incident.pk],
            "created_by": username(incident.created_by),
            "url": self.incident_url(incident),
        }

    def incidents(self, incidents: list[Incident]) -> list[dict[str, Any]]:
        related = Related.load(incidents)
        return [self.incident(incident, related) for incident in incidents]

    # --- pagination --------------------------------------------------------

    def page(
        self,
        queryset: QuerySet[M],
        *,
        page: int,
        per_page: int,
        render: Callable[[list[M]], list[dict[str, Any]]],
    ) -> dict[str, Any]:
        """One page of `queryset` in the list shape shared by every
        collection; `render` turns the page's rows into JSON-ready dicts.
        Lists declare `page` with the shared `PageNumber`, which documents
        and checks the bound; checked here again for any list that does not."""
        if not 1 <= page <= MAX_PAGE:
            raise InvalidInput(
                _("The field %(field)s must be at most %(limit)s.")
                % {"field": "page", "limit": MAX_PAGE},
                field="page",
            )
        start = (page - 1) * per_page
        # One row more than the page tells whether there is a next page.
        rows = list(queryset[start : start + per_page + 1])
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        if not has_next and (rows or page == 1):
            count, exact = start + len(rows), True  # the last page: nothing to count
        else:
            # Rows on this page prove at least that many; an empty page past
            # the end proves nothing.
            count, exact = _count(queryset, at_least=start + len(rows) if rows else 0)
        return {
            "items": render(rows),
            "count": count,
            "count_exact": exact,
            "page": page,
            "per_page": per_page,
            "next": self.page_url(page + 1) if has_next else None,
            "previous": self.page_url(page - 1) if page > 1 else None,
        }

    def page_url(self, page: int) -> str:
        query = self.request.GET.copy()
        query["page"] = str(page)
        return self.request.build_absolute_uri(f"{self.request.path}?{query.urlencode()}")


def _count(queryset: QuerySet[Any], *, at_least: int) -> tuple[int, bool]:
    """How many rows match, counted up to COUNT_LIMIT. An exact count reads
    every matching row, so at 100,000 incidents it would cost more than the
    page itself; a bounded count costs the same at any size."""
    counted = queryset.order_by()[: COUNT_LIMIT + 1].count()
    if counted > COUNT_LIMIT:
        return max(COUNT_LIMIT, at_least), False
    return counted, True


def _incident_page_path() -> str:
    """The web page of incident INC-0, in the active language."""
    return reverse("incidents:detail", kwargs={"ref": _REF_PLACEHOLDER})


def severity(level: int) -> dict[str, Any]:
    return {
        "severity": level,
        "severity_name": severity_name(level),
        "severity_label": label(Severity, level),
        "severity_description": severity_description(level),
    }


# --- timeline -------------------------------------------------------------------


def entry(event: TimelineEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "kind_name": label(TimelineKind, event.kind),
        "body": event.body,
        "text": describe_event(event),
        "key_moment": event.key_moment,
        "occurred_at": local(event.occurred_at),
        "recorded_at": local(event.recorded_at),
        "author": username(event.author) if event.author_id is not None else None,
        "edited_at": local(event.edited_at),
        "data": event.data or {},
    }


def entries(events: Iterable[TimelineEvent]) -> list[dict[str, Any]]:
    return [entry(event) for event in events]


def entry_edit(edit: TimelineEdit) -> dict[str, Any]:
    return {
        "editor": username(edit.editor) if edit.editor_id is not None else None,
        "edited_at": local(edit.edited_at),
        "before": edit.before,
        "after": edit.after,
    }


# --- roles, participants, tasks -----------------------------------------------------


def assignment(item: RoleAssignment) -> dict[str, Any]:
    return {
        "role": item.role,
        "role_name": label(IncidentRole, item.role),
        "user": item.user.get_username(),
        "started_at": local(item.started_at),
        "ended_at": local(item.ended_at),
        "assigned_by": username(item.assigned_by) if item.assigned_by_id is not None else None,
    }


def vacant_role(role: str) -> dict[str, Any]:
    return {
        "role": role,
        "role_name": label(IncidentRole, role),
        "user": None,
        "started_at": None,
        "ended_at": None,
        "assigned_by": None,
    }


def participant(item: Participant) -> dict[str, Any]:
    return {
        "user": item.user.get_username(),
        "name": display_name(item.user),
        "joined_at": local(item.joined_at),
    }


def task(item: Task) -> dict[str, Any]:
    return {
        "id": item.pk,
        "title": item.title,
        "status": item.status,
        "assignee": username(item.assignee) if item.assignee_id is not None else None,
        "created_at": local(item.created_at),
        "done_at": local(item.done_at),
    }
