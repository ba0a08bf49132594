"""Reminding the communications lead that stakeholders are due an update.

Each severity may set `update_every_minutes` in the policy file. An open
incident whose last stakeholder update (of either audience; the
declaration when there is none) is older than that is due one: its
communications lead, or its commander when nobody holds that role, gets a
mail, and the incident page shows a hint (`overdue_update`).

Decided once: the scan inserts one UpdateReminder row per incident and due
moment (the last update plus a whole number of intervals) with ON CONFLICT
DO NOTHING, reads back the rows it really inserted by its batch id and
queues one mail task for each, all in one transaction. A second worker
scanning at the same moment inserts nothing, so it queues nothing; the
next reminder for the same incident comes one interval later, if there is
still no update.
"""

from __future__ import annotations

import logging
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from hotwash.accounts.models import Profile
from hotwash.incidents.display import format_duration, format_time
from hotwash.incidents.models import OPEN_STATUSES, Incident, IncidentRole, RoleAssignment
from hotwash.incidents.queries import can_view
from hotwash.jobs.queue import enqueue_many
from hotwash.jobs.retry import retry_later
from hotwash.notifications.conf import site_url
from hotwash.notifications.payloads import incident_url
from hotwash.policies import load_policies
from hotwash.statuspage.models import ReminderStatus, UpdateReminder

logger = logging.getLogger("hotwash.statuspage")

ERROR_LIMIT = 2000
# Who hears first: the communications lead, else the commander.
REMINDED_ROLES = (IncidentRole.COMMUNICATIONS, IncidentRole.COMMANDER)


@dataclass(frozen=True)
class Overdue:
    """An open incident due a stakeholder update."""

    incident_id: int
    severity: int
    since: datetime  # the last update, or the declaration
    interval: timedelta
    due_at: datetime  # the latest moment an update was due

    def silent_for(self, now: datetime) -> timedelta:
        return now - self.since


def intervals() -> dict[int, timedelta]:
    """The update interval of each severity that sets one."""
    return {
        level: timedelta(minutes=definition.update_every_minutes)
        for level, definition in load_policies().severities.items()
        if definition.update_every_minutes
    }


def _due_at(since: datetime, interval: timedelta, now: datetime) -> datetime | None:
    """The latest moment since + k * interval (k >= 1) not after `now`."""
    if now - since < interval:
        return None
    return since + interval * ((now - since) // interval)


def overdue_incidents(now: datetime, incident_ids: list[int] | None = None) -> list[Overdue]:
    """Open incidents due an update at `now` (one query)."""
    every = intervals()
    if not every:
        return []
    incidents = Incident.objects.filter(status__in=OPEN_STATUSES, severity__in=list(every))
    if incident_ids is not None:
        incidents = incidents.filter(pk__in=incident_ids)
    rows = incidents.annotate(last_update=Max("updates__published_at")).values_list(
        "pk", "severity", "declared_at", "last_update"
    )
    found = []
    for pk, severity, declared_at, last_update in rows:
        since = max(filter(None, [last_update, declared_at]))
        interval = every[severity]
        due_at = _due_at(since, interval, now)
        if due_at is not None:
            found.append(Overdue(pk, severity, since, interval, due_at))
    return found


def overdue_update(incident: Incident, now: datetime | None = None) -> Overdue | None:
    """Whether `incident` is due an update (for the hint on its page)."""
    found = overdue_incidents(now or timezone.now(), [incident.pk])
    return found[0] if found else None


def _recipients(incident_ids: list[int]) -> dict[int, int]:
    """incident id -> the user to remind (communications lead first)."""
    holders: dict[int, dict[str, int]] = {}
    for incident_id, role, user_id in RoleAssignment.objects.filter(
        incident_id__in=incident_ids, role__in=REMINDED_ROLES, ended_at__isnull=True
    ).values_list("incident_id", "role", "user_id"):
        holders.setdefault(incident_id, {})[role] = user_id
    return {
        incident_id: roles.get(IncidentRole.COMMUNICATIONS) or roles[IncidentRole.COMMANDER]
        for incident_id, roles in holders.items()
    }


@dataclass
class ScanResult:
    due: int = 0
    decided: int = 0
    queued: int = 0


def scan_update_reminders(now: datetime) -> ScanResult:
    """Decide, once, the reminders due at `now` and queue their mails."""
    result = ScanResult()
    with transaction.atomic():
        due = overdue_incidents(now)
        result.due = len(due)
        if not due:
            return result
        recipients = _recipients([item.incident_id for item in due])
        batch = uuid.uuid4()
        UpdateReminder.objects.bulk_create(
            [
                UpdateReminder(
                    incident_id=item.incident_id,
                    recipient_id=recipients[item.incident_id],
                    due_at=item.due_at,
                    created_at=now,
                    batch=batch,
                )
                # An incident nobody leads or speaks for: nobody to
                # remind; the page's hint still shows.
                for item in due
                if item.incident_id in recipients
            ],
            ignore_conflicts=True,
        )
        mine = list(UpdateReminder.objects.filter(batch=batch).values_list("pk", flat=True))
        result.decided = len(mine)
        result.queued = enqueue_many(send_update_reminder, [((pk,), {}) for pk in mine])
    return result


# --- the mail -------------------------------------------------------------------


def _profile(user: User) -> tuple[str, zoneinfo.ZoneInfo]:
    profile = Profile.objects.filter(user=user).values_list("language", "timezone").first()
    language, zone = profile or (settings.LANGUAGE_CODE, settings.TIME_ZONE)
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = settings.LANGUAGE_CODE
    try:
        return language, zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return language, zoneinfo.ZoneInfo(settings.TIME_ZONE)


def build_reminder(reminder: UpdateReminder) -> EmailMultiAlternatives | str:
    """The mail, in the recipient's language and zone, or why it is not
    sent (an update was published meanwhile; the recipient cannot see the
    incident any more)."""
    incident = reminder.incident
    recipient = reminder.recipient
    if not recipient.email or not recipient.is_active:
        return "The recipient has no email address."
    if not can_view(recipient, incident):
        return "Skipped: the recipient can no longer see this incident."
    overdue = overdue_update(incident)
    if overdue is None or overdue.since > reminder.due_at:
        return "No longer due: an update was published, or the incident ended."
    language, zone = _profile(recipient)
    with translation.override(language), timezone.override(zone):
        context = {
            "name": recipient.get_full_name() or recipient.get_username(),
            "ref": incident.ref,
            "title": incident.title,
            "severity": f"SEV{incident.severity}",
            "silent_for": format_duration(overdue.silent_for(timezone.now())),
            "interval": format_duration(overdue.interval),
            "since": format_time(overdue.since),
            "url": incident_url(incident.ref, language) + "#stakeholder-updates",
            "site_url": site_url(),
            "LANGUAGE_CODE": language,
        }
        subject = _("%(ref)s is due a stakeholder update") % {"ref": incident.ref}
        context["subject"] = subject
        text = render_to_string("statuspage/updates/reminder_email.txt", context)
        html = render_to_string("statuspage/updates/reminder_email.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        connection=get_connection(fail_silently=False),
        headers={
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "X-Hotwash-Notification": "incident.update_due",
            "Content-Language": language,
        },
    )
    message.attach_alternative(html, "text/html")
    return message


@task()
def send_update_reminder(reminder_id: int, attempt: int = 1) -> str:
    reminder = (
        UpdateReminder.objects.select_related("incident", "recipient")
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is None or reminder.status not in (
        ReminderStatus.PENDING,
        ReminderStatus.RETRYING,
    ):
        return "nothing to do"
    message = build_reminder(reminder)
    if isinstance(message, str):
        reminder.status = ReminderStatus.SKIPPED
        reminder.last_error = message
        reminder.save(update_fields=["status", "last_error"])
        return "skipped"
    reminder.attempts = attempt
    try:
        message.send()
    except Exception as error:
        next_at = retry_later(send_update_reminder, reminder.pk, attempt=attempt)
        reminder.status = ReminderStatus.RETRYING if next_at else ReminderStatus.FAILED
        reminder.last_error = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
        reminder.save(update_fields=["status", "last_error", "attempts"])
        logger.warning("Update reminder %s failed (attempt %d): %s", reminder.pk, attempt, error)
        raise
    reminder.status = ReminderStatus.SENT
    reminder.sent_at = timezone.now()
    reminder.last_error = ""
    reminder.save(update_fields=["status", "sent_at", "last_error", "attempts"])
    logger.info("Sent the update reminder of INC-%s", reminder.incident_id)
    return "sent"
