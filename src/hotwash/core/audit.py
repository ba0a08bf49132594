from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.utils import timezone

from hotwash.core.models import AuditRecord


def record_audit(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    obj: models.Model | type[models.Model],
    changes: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditRecord:
    """Write one audit record. Call inside the service's transaction.

    `obj` is the object acted on, or its model when there is no row (a
    failed sign-in for an unknown username): the record then has the
    object's type and an empty id. `now` is the time of the change it
    records (the service's own `now`, so the record and the rows it describes
    carry one time); None is the current time."""
    return AuditRecord.objects.create(
        at=timezone.now() if now is None else now,
        actor=actor if isinstance(actor, User) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id="" if isinstance(obj, type) else str(obj.pk),
        changes=changes or {},
    )
