"""Trying a failed delivery again now (the admin's "Retry now"): a routed
Delivery or a WebhookDelivery that failed for good or is waiting for its
next attempt is queued at once with a fresh series of attempts.

Its queued next attempt, if any, is withdrawn in the same transaction:
otherwise that older task would run later too and, if this retry failed,
two series of retries would send the same delivery. An attempt already
running cannot be withdrawn; the task of a delivery that is no longer
pending or retrying when it runs does nothing."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from hotwash.core.audit import record_audit
from hotwash.jobs.queue import enqueue_many
from hotwash.notifications.models import Delivery, DeliveryStatus, WebhookDelivery
from hotwash.notifications.tasks import deliver, deliver_webhook

RETRYABLE = (DeliveryStatus.FAILED, DeliveryStatus.RETRYING)


def retry_now(row: Delivery | WebhookDelivery, *, actor: User | AnonymousUser | None) -> bool:
    """Queue `row` for an attempt now, attempts counted from 1 again, with
    an audit record; False (nothing done) unless it failed or is retrying."""
    model = type(row)
    task = deliver if isinstance(row, Delivery) else deliver_webhook
    with transaction.atomic():
        locked = model.objects.select_for_update().filter(pk=row.pk).first()
        if locked is None or locked.status not in RETRYABLE:
            return False
        DBTaskResult.objects.filter(
            task_path=task.module_path,
            status=TaskResultStatus.READY,
            args_kwargs__args__0=str(locked.pk),
        ).delete()
        before = {"status": locked.status, "attempts": locked.attempts}
        locked.status = DeliveryStatus.PENDING
        locked.attempts = 0
        locked.next_attempt_at = None
        # The last error stays shown until an attempt replaces or clears it.
        locked.save(update_fields=["status", "attempts", "next_attempt_at"])
        enqueue_many(task, [((str(locked.pk),), {"attempt": 1})])
        record_audit(
            actor=actor,
            action="delivery.retried" if task is deliver else "webhook.delivery_retried",
            obj=locked,
            changes={"from": before, "to": {"status": DeliveryStatus.PENDING, "attempts": 0}},
        )
    return True
