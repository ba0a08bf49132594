"""Email messages, written in the recipient's language and time zone.

Each message has a plain-text body and an HTML alternative, rendered from
templates/notifications/email/<kind>.txt and .html, with absolute links
(HOTWASH_SITE_URL) into the recipient's language. The content is read when
the message is sent, not when it was decided: a reminder whose item was done
or given a new due date in between is not sent (`build_email` returns a
`Skip`, whose reason the ledger row keeps).

A message only ever shows the recipient what they may see: an action item or
postmortem of a private incident they cannot see (they were given it before
the incident turned private) is left out of the digest, and its reminder is
not sent; only people who review near misses and concerns are told how many
wait. The rules are the apps' own (`visible_items`,
`readable_postmortems`); the digest scan picks its recipients by the same
ones (`has_digest_content`).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from hotwash.accounts.models import Profile
from hotwash.actions.models import OPEN_STATUSES, ActionItem, overdue_q
from hotwash.actions.queries import visible_items
from hotwash.notifications import links
from hotwash.notifications.conf import site_url
from hotwash.notifications.models import Kind, SentNotification
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.models import Status as PostmortemStatus
from hotwash.postmortems.queries import readable_postmortems
from hotwash.reports.queries import can_review_reports, open_reports

DIGEST_LIMIT = 50


@dataclass
class Content:
    template: str
    subject: str
    context: dict[str, Any]


@dataclass(frozen=True)
class Skip:
    """Why a message decided earlier is not sent after all: kept on its
    ledger row for whoever looks into a missing email (English, like the
    rest of the ledger's notes)."""

    reason: str


NO_LONGER_DUE = Skip("No longer due (done, or a new due date).")
CANNOT_SEE = Skip("Skipped: the recipient can no longer see this incident.")
NOTHING_TO_REPORT = Skip("Nothing left to report: no open work the recipient can see.")


def long_date(value: date) -> str:
    """ "Thursday 3 December 2026" / "jeudi 3 décembre 2026"."""
    return date_format(value, "l j F Y")


def person(user: User) -> str:
    return str(user.get_full_name() or user.get_username())


def _profile(user: User) -> tuple[str, str]:
    profile = Profile.objects.filter(user=user).values_list("language", "timezone").first()
    language, zone = profile or (settings.LANGUAGE_CODE, settings.TIME_ZONE)
    codes = [code for code, _name in settings.LANGUAGES]
    return (language if language in codes else settings.LANGUAGE_CODE), zone


def build_email(notification: SentNotification) -> EmailMultiAlternatives | Skip:
    recipient = notification.recipient
    language, zone = _profile(recipient)
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    with translation.override(language), timezone.override(tz):
        today = timezone.localdate()
        content = BUILDERS[notification.kind](notification, recipient, today)
        if isinstance(content, Skip):
            return content
        context = {
            **content.context,
            "name": person(recipient),
            "subject": content.subject,
            "preferences_url": links.preferences_url(),
            "site_url": site_url(),
            "can_mute": notification.kind != Kind.ACTION_OVERDUE
            and notification.kind != Kind.POSTMORTEM_OVERDUE,
            "LANGUAGE_CODE": language,
        }
        text = render_to_string(f"notifications/email/{content.template}.txt", context)
        html = render_to_string(f"notifications/email/{content.template}.html", context)
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        # Django's EMAIL_* settings (settings.py); a failure raises, so the
        # task records it and retries.
        connection=get_connection(fail_silently=False),
        headers={
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "X-Hotwash-Notification": notification.kind,
            "Content-Language": language,
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# --- one builder per kind -----------------------------------------------------------


def _open_items(recipient: User) -> QuerySet[ActionItem]:
    """The recipient's open action items that they may see."""
    return visible_items(recipient).filter(owner=recipient, status__in=OPEN_STATUSES)


def _open_postmortems(recipient: User) -> QuerySet[Postmortem]:
    """The postmortems the recipient owns, still to write, that they may read."""
    return readable_postmortems(recipient).open().filter(owner=recipient)


def _published_this_week(recipient: User, today: date) -> QuerySet[Postmortem]:
    """The postmortems and retrospectives published in the seven days up to
    `today` that the recipient may read: what the organisation learned."""
    return readable_postmortems(recipient).filter(
        status=PostmortemStatus.PUBLISHED, published_at__date__gt=today - timedelta(days=7)
    )


def _reports_waiting(recipient: User) -> int:
    """How many near misses and concerns wait for a decision, for someone
    who reviews them (0 for anyone else: they never learn the number)."""
    return open_reports().count() if can_review_reports(recipient) else 0


def has_digest_content(recipient: User, today: date) -> bool:
    """Whether the recipient's digest would list anything: open work they
    may see, what was published this week that they may read, reports
    waiting for them. The digest scan asks this of each person it would pick."""
    return (
        _open_items(recipient).exists()
        or _open_postmortems(recipient).exists()
        or _published_this_week(recipient, today).exists()
        or _reports_waiting(recipient) > 0
    )


def _why_not(still_due: QuerySet[Any], notification: SentNotification) -> Skip:
    """A reminder's object is not among what the recipient may see: either
    it is no longer due to them, or it is and they can no longer see it."""
    if still_due.filter(pk=notification.object_id, due_on=notification.slot).exists():
        return CANNOT_SEE
    return NO_LONGER_DUE


def _item(notification: SentNotification, recipient: User) -> ActionItem | Skip:
    item = (
        _open_items(recipient)
        .select_related("incident", "postmortem")
        .filter(pk=notification.object_id)
        .first()
    )
    if item is None:
        mine = ActionItem.objects.filter(owner=recipient, status__in=OPEN_STATUSES)
        return _why_not(mine, notification)
    if item.due_on != notification.slot:
        return NO_LONGER_DUE
    return item


def _item_context(item: ActionItem, today: date) -> dict[str, Any]:
    assert item.due_on is not None
    return {
        "item": item,
        "ref": item.ref,
        "title": item.title,
        "due": long_date(item.due_on),
        "days_left": (item.due_on - today).days,
        "days_late": (today - item.due_on).days,
        "status": item.get_status_display(),
        "priority": item.get_priority_display(),
        "incident": item.incident,
        "postmortem": item.postmortem,
        "url": links.action_item_url(item.pk),
        "list_url": links.my_action_items_url(),
    }


def action_due_soon(n: SentNotification, recipient: User, today: date) -> Content | Skip:
    item = _item(n, recipient)
    if isinstance(item, Skip):
        return item
    if item.due_on is None or item.due_on < today:
        return NO_LONGER_DUE
    context = _item_context(item, today)
    if item.due_on == today:
        subject = _("%(ref)s is due today: %(title)s")
    else:
        subject = _("%(ref)s is due on %(date)s: %(title)s")
    subject %= {"ref": item.ref, "title": item.title, "date": context["due"]}
    return Content("action_item_due_soon", subject, context)


def action_overdue(n: SentNotification, recipient: User, today: date) -> Content | Skip:
    item = _item(n, recipient)
    if isinstance(item, Skip):
        return item
    if item.due_on is None or item.due_on >= today:
        return NO_LONGER_DUE
    subject = _("%(ref)s is overdue: %(title)s") % {"ref": item.ref, "title": item.title}
    return Content("action_item_overdue", subject, _item_context(item, today))


def _postmortem(n: SentNotification, recipient: User) -> Postmortem | Skip:
    postmortem = (
        _open_postmortems(recipient).select_related("incident").filter(pk=n.object_id).first()
    )
    if postmortem is None:
        mine = Postmortem.objects.open().filter(owner=recipient)
        return _why_not(mine, n)
    if postmortem.due_on != n.slot:
        return NO_LONGER_DUE
    return postmortem


def _postmortem_context(postmortem: Postmortem, today: date) -> dict[str, Any]:
    assert postmortem.due_on is not None
    return {
        "postmortem": postmortem,
        "ref": postmortem.ref,
        "title": postmortem.title,
        "due": long_date(postmortem.due_on),
        "days_left": (postmortem.due_on - today).days,
        "days_late": (today - postmortem.due_on).days,
        "status": postmortem.get_status_display(),
        "incident": postmortem.incident,
        "url": links.postmortem_url(postmortem.pk),
    }


def postmortem_due_soon(n: SentNotification, recipient: User, today: date) -> Content | Skip:
    postmortem = _postmortem(n, recipient)
    if isinstance(postmortem, Skip):
        return postmortem
    if postmortem.due_on is None or postmortem.due_on < today:
        return NO_LONGER_DUE
    context = _postmortem_context(postmortem, today)
    subject = _("Postmortem %(ref)s is due on %(date)s: %(title)s") % {
        "ref": postmortem.ref,
        "title": postmortem.title,
        "date": context["due"],
    }
    return Content("postmortem_due_soon", subject, context)


def postmortem_overdue(n: SentNotification, recipient: User, today: date) -> Content | Skip:
    postmortem = _postmortem(n, recipient)
    if isinstance(postmortem, Skip):
        return postmortem
    if postmortem.due_on is None or postmortem.due_on >= today:
        return NO_LONGER_DUE
    subject = _("Postmortem %(ref)s is overdue: %(title)s") % {
        "ref": postmortem.ref,
        "title": postmortem.title,
    }
    return Content("postmortem_overdue", subject, _postmortem_context(postmortem, today))


def digest(n: SentNotification, recipient: User, today: date) -> Content | Skip:
    items = list(
        _open_items(recipient)
        .select_related("incident")
        .order_by("due_on", "id")[: DIGEST_LIMIT + 1]
    )
    postmortems = list(_open_postmortems(recipient).order_by("due_on", "id")[: DIGEST_LIMIT + 1])
    published = list(
        _published_this_week(recipient, today).order_by("-published_at", "-id")[: DIGEST_LIMIT + 1]
    )
    reports_waiting = _reports_waiting(recipient)
    if not items and not postmortems and not published and not reports_waiting:
        return NOTHING_TO_REPORT
    counts = {
        "open": _open_items(recipient).count(),
        "overdue": _open_items(recipient).filter(overdue_q(today)).count(),
    }
    rows = [
        {
            "ref": item.ref,
            "title": item.title,
            "url": links.action_item_url(item.pk),
            "due": long_date(item.due_on) if item.due_on else "",
            "overdue": item.is_overdue(today),
            "status": item.get_status_display(),
        }
        for item in items[:DIGEST_LIMIT]
    ]
    pm_rows = [
        {
            "ref": pm.ref,
            "title": pm.title,
            "url": links.postmortem_url(pm.pk),
            "due": long_date(pm.due_on) if pm.due_on else "",
            "overdue": pm.due_on is not None and pm.due_on < today,
            "status": pm.get_status_display(),
        }
        for pm in postmortems[:DIGEST_LIMIT]
    ]
    week = n.slot
    subject = _("Your Hotwash week of %(date)s: %(open)d open, %(overdue)d overdue") % {
        "date": date_format(week, "j F"),
        **counts,
    }
    return Content(
        "digest",
        subject,
        {
            "items": rows,
            "more_items": len(items) > DIGEST_LIMIT,
            "postmortems": pm_rows,
            "more_postmortems": len(postmortems) > DIGEST_LIMIT,
            "published": [
                {"ref": pm.ref, "title": pm.title, "url": links.postmortem_url(pm.pk)}
                for pm in published[:DIGEST_LIMIT]
            ],
            "learned_url": links.learned_url(),
            "reports_waiting": reports_waiting,
            "reports_url": links.reports_to_review_url(),
            "open_count": counts["open"],
            "overdue_count": counts["overdue"],
            "week": long_date(week),
            "week_end": long_date(week + timedelta(days=6)),
            "list_url": links.my_action_items_url(),
        },
    )


BUILDERS: dict[str, Callable[[SentNotification, User, date], Content | Skip]] = {
    Kind.ACTION_DUE_SOON: action_due_soon,
    Kind.ACTION_OVERDUE: action_overdue,
    Kind.POSTMORTEM_DUE_SOON: postmortem_due_soon,
    Kind.POSTMORTEM_OVERDUE: postmortem_overdue,
    Kind.DIGEST: digest,
}
