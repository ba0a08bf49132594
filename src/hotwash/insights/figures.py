"""The insights charts for one reader and one set of filters, kept for a
minute.

Computing them reads every incident of the period (at 100,000 incidents,
thousands of rows per query) and drawing them takes pygal tens of
milliseconds a chart: most of a page's time. Managers reload the page, and
several look at the same figures, so the charts are cached under a key
that says everything they depend on: who may see what (all admins see the
same incidents; anyone else sees their own set), the filters, the language,
the time zone, the day, and a version of the data (the highest ids and the
latest change of the rows insights read). Any write through Hotwash's
services adds an audit record, so it changes the version and the next view
recomputes; the figures that run "up to now" (a role still held, the age of
open action items) are at most CACHE_SECONDS old.
"""

from __future__ import annotations

import hashlib
import json

from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone, translation

from hotwash.accounts.permissions import is_admin
from hotwash.actions.models import ActionItem
from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Incident, RoleAssignment
from hotwash.insights import present, queries
from hotwash.postmortems.models import Comment, Postmortem
from hotwash.reports.models import Report

CACHE_SECONDS = 60


def sections(user: User | AnonymousUser, context: present.Context) -> list[present.Section]:
    """The page's sections for `user`, computed or from the cache."""
    key = _key(user, context)
    found: list[present.Section] | None = cache.get(key)
    if found is None:
        incidents = queries.scoped_incidents(user, context.filters)
        found = present.build_sections(context, incidents)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _key(user: User | AnonymousUser, context: present.Context) -> str:
    reader = "admin" if is_admin(user) else f"user-{user.pk}"
    parts = {
        "reader": reader,
        "filters": context.filters.query(),
        "first_day": context.period.first_day.isoformat(),
        "weeks": context.period.weeks,
        "today": context.today.isoformat(),
        "language": translation.get_language(),
        "zone": timezone.get_current_timezone_name(),
        "data": _data_version(),
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"hotwash:insights:{digest}"


def _data_version() -> list[object]:
    """Highest ids and latest changes of what insights read: each a MAX over
    a primary key or an indexed column, so cheap at any size."""
    incidents = Incident.objects.aggregate(id=Max("pk"), changed=Max("updated_at"))
    return [
        incidents["id"],
        incidents["changed"],
        AuditRecord.objects.aggregate(id=Max("pk"))["id"],
        RoleAssignment.objects.aggregate(id=Max("pk"))["id"],
        Postmortem.objects.aggregate(id=Max("pk"))["id"],
        Comment.objects.aggregate(id=Max("pk"))["id"],
        ActionItem.objects.aggregate(id=Max("pk"))["id"],
        Report.objects.aggregate(id=Max("pk"))["id"],
    ]
