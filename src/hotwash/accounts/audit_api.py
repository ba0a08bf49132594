"""The audit trail: who changed what, when, and every sign-in. Admins only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router

from hotwash.accounts.api_auth import caller
from hotwash.accounts.permissions import is_admin
from hotwash.core.api.errors import ERRORS
from hotwash.core.api.paging import present_page
from hotwash.core.api.present import local, username
from hotwash.core.errors import InvalidInput, PermissionDenied
from hotwash.core.models import AuditRecord
from hotwash.core.schemas import AuditPage, AuditQuery

router = Router(tags=["Audit"])


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
    return present_page(
        records, request, page=query.page, per_page=query.per_page, render=present_audit_records
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


def present_audit_record(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "at": local(record.at),
        "actor": username(record.actor) if record.actor_id is not None else None,
        "action": record.action,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "changes": record.changes or {},
    }


def present_audit_records(records: Iterable[AuditRecord]) -> list[dict[str, Any]]:
    return [present_audit_record(record) for record in records]
