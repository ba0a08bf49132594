"""The audit trail: who changed what, when, and every sign-in. Admins only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from pydantic import BaseModel, Field

from hotwash.accounts.permissions import is_admin
from hotwash.core.api.auth import caller
from hotwash.core.errors import InvalidInput, PermissionDenied
from hotwash.core.models import AuditRecord
from hotwash.incidents.present import Presenter, local, username
from hotwash.incidents.schemas import (
    COUNT_DOC,
    COUNT_EXACT_DOC,
    DEFAULT_PER_PAGE,
    ERRORS,
    ApiModel,
    PageNumber,
    PerPage,
)

router = Router(tags=["Audit"])

BOUND_DOC = (
    "a day (YYYY-MM-DD, your time zone; the whole day counts) or an exact time "
    "with its zone (ISO 8601, e.g. 2026-11-26T09:00:00+00:00)"
)


class AuditQuery(BaseModel):
    actor: str | None = Field(None, description="Only what this username did.")
    action: str | None = Field(
        None,
        description="Only this action, e.g. incident.declared or auth.login_failed; "
        "`auth.*` for every action starting with `auth.`.",
    )
    object_type: str | None = Field(
        None, description="Only records about this kind of object, e.g. incidents.incident."
    )
    object_id: str | None = Field(None, description="Only records about the object with this id.")
    since: str | None = Field(None, description=f"Only records from this moment on: {BOUND_DOC}.")
    until: str | None = Field(None, description=f"Only records up to this moment: {BOUND_DOC}.")
    page: PageNumber = 1
    per_page: PerPage = DEFAULT_PER_PAGE


class AuditRecordOut(ApiModel):
    id: int = Field(description="The record's id; later records have larger ids.")
    at: datetime = Field(description="When it happened.")
    actor: str | None = Field(
        description="Username of whoever did it; null for Hotwash itself and failed sign-ins."
    )
    action: str = Field(
        description="What was done, e.g. incident.updated.", examples=["auth.logged_in"]
    )
    object_type: str = Field(
        description="The kind of object, e.g. incidents.incident or auth.user."
    )
    object_id: str = Field(
        description="The object's id (empty for a failed sign-in with an unknown username)."
    )
    changes: dict[str, Any] = Field(
        description="The detail: the values changed; for sign-ins the username tried and the "
        "client address (never a password)."
    )


class AuditPage(ApiModel):
    items: list[AuditRecordOut] = Field(description="This page of records, newest first.")
    count: int = Field(description=COUNT_DOC)
    count_exact: bool = Field(description=COUNT_EXACT_DOC)
    page: int = Field(description="This page's number.")
    per_page: int = Field(description="Items per page.")
    next: str | None = Field(description="URL of the next page, or null on the last one.")
    previous: str | None = Field(description="URL of the previous page, or null on the first one.")


@router.get(
    "/audit",
    response={200: AuditPage, **ERRORS},
    summary="Read the audit trail",
    operation_id="list_audit_records",
)
def list_audit_records(request: HttpRequest, query: Query[AuditQuery]) -> dict[str, Any]:
    """Every change Hotwash recorded (who, what, when, on which object),
    and every sign-in, failed sign-in, lock-out and sign-out with the
    client's address; newest first. Admins only: anyone else gets 403."""
    user = caller(request)
    if not is_admin(user):
        raise PermissionDenied(_("Only admins can read the audit trail."))
    records = AuditFilters.parse(query).apply(
        AuditRecord.objects.select_related("actor").order_by("-at", "-id")
    )
    return Presenter(request).page(
        records, page=query.page, per_page=query.per_page, render=_render
    )


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    until_inclusive: bool = False

    @classmethod
    def parse(cls, query: AuditQuery) -> AuditFilters:
        zone = timezone.get_current_timezone()
        since, _inclusive = _bound(query.since, "since", zone, end=False)
        until, until_inclusive = _bound(query.until, "until", zone, end=True)
        object_type = _text(query.object_type, "object_type")
        return cls(
            actor=_text(query.actor, "actor"),
            action=_text(query.action, "action"),
            object_type=object_type.lower() if object_type else None,
            object_id=_text(query.object_id, "object_id"),
            since=since,
            until=until,
            until_inclusive=until_inclusive,
        )

    def apply(self, records: QuerySet[AuditRecord]) -> QuerySet[AuditRecord]:
        if self.actor:
            records = records.filter(actor__username=self.actor)
        if self.action:
            if self.action.endswith(".*"):
                records = records.filter(action__startswith=self.action[:-1])
            else:
                records = records.filter(action=self.action)
        if self.object_type:
            records = records.filter(object_type=self.object_type)
        if self.object_id:
            records = records.filter(object_id=self.object_id)
        if self.since:
            records = records.filter(at__gte=self.since)
        if self.until:
            if self.until_inclusive:
                records = records.filter(at__lte=self.until)
            else:
                records = records.filter(at__lt=self.until)
        return records


def _text(value: str | None, field: str) -> str | None:
    """A filter's text, refused when no database could compare it."""
    if value is None or not value.strip():
        return None
    if "\x00" in value or not _encodable(value):
        raise InvalidInput(
            _("%(field)s holds characters that are not text.") % {"field": field}, field=field
        )
    return value.strip()


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bound(raw: str | None, field: str, zone: tzinfo, *, end: bool) -> tuple[datetime | None, bool]:
    """A time bound in UTC, and whether it includes that very moment. A day
    runs from its midnight to the next (exclusive), in the caller's zone; a
    day beyond either end of the calendar means no bound."""
    text = _text(raw, field)
    if text is None:
        return None, False
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return _exact_time(text, field), True
    if end:
        if day == date.max:
            return None, False
        day += timedelta(days=1)
    try:
        return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC), False
    except OverflowError:  # before year 1 once in UTC: the whole calendar
        return None, False


def _exact_time(text: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            _("%(value)s is neither a day (YYYY-MM-DD) nor a time with its zone (ISO 8601).")
            % {"value": text},
            field=field,
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput(
            _("%(value)s has no time zone; add one, e.g. +00:00.") % {"value": text}, field=field
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(
            _("%(value)s is outside the calendar once converted to UTC.") % {"value": text},
            field=field,
        ) from None


def _render(records: list[AuditRecord]) -> list[dict[str, Any]]:
    return [
        {
            "id": record.pk,
            "at": local(record.at),
            "actor": username(record.actor) if record.actor_id is not None else None,
            "action": record.action,
            "object_type": record.object_type,
            "object_id": record.object_id,
            "changes": record.changes or {},
        }
        for record in records
    ]
