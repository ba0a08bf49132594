"""Mail subscriptions to the status page: double opt-in, one-click unsubscribe.

1. Someone gives an address, a language and a service (or all) in the form on
   the status page: `request_subscription` keeps one *pending* row per
   address and queues a confirmation mail (`send_confirmation`, a task with
   retries: never sent inside the request).
2. The mail's link carries a signed token (django.core.signing, valid
   STATUS_CONFIRMATION_MAX_AGE_HOURS) naming the row, the address and the
   choice it confirms; following it and pressing the button confirms.
3. Every mail (the confirmation and the update mails the `email` channel
   sends) carries a signed unsubscribe link and the List-Unsubscribe /
   List-Unsubscribe-Post headers of RFC 8058: one POST removes the row.

It is no mail cannon: an address has at most one pending confirmation, sent
again at most every STATUS_CONFIRMATION_RESEND_MINUTES; an address already
subscribed to that choice is sent nothing. The answer to the form is the same
in every case, so the form does not tell who is subscribed.

Public updates reach confirmed subscribers through the notification
routing: `recipients` is registered as a recipient source at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django_tasks import task

from hotwash.core.audit import record_audit
from hotwash.incidents.models import Incident, Service
from hotwash.jobs.retry import retry_later
from hotwash.notifications.events import EventType
from hotwash.notifications.models import Event
from hotwash.notifications.routing import Planned
from hotwash.statuspage.models import Audience, StatusSubscriber

logger = logging.getLogger("hotwash.statuspage")

CONFIRM_SALT = "hotwash.statuspage.confirm"
UNSUBSCRIBE_SALT = "hotwash.statuspage.unsubscribe"
ALL_SERVICES = "all"


# --- the form -------------------------------------------------------------------------


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email address"), max_length=254)
    language = forms.ChoiceField(label=gettext_lazy("Language of the messages"), choices=())
    service = forms.ChoiceField(label=gettext_lazy("Updates about"), choices=())

    def __init__(self, *args: Any, services: Iterable[Service] = (), **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "subscribe_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.services = {str(s.pk): s for s in services}
        language_field = self.fields["language"]
        assert isinstance(language_field, forms.ChoiceField)
        language_field.choices = [(code, name) for code, name in _language_names()]
        service_field = self.fields["service"]
        assert isinstance(service_field, forms.ChoiceField)
        service_field.choices = [(ALL_SERVICES, _("Every service"))] + [
            (pk, s.public_name or s.name) for pk, s in self.services.items()
        ]
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})

    def chosen_service(self) -> Service | None:
        return self.services.get(self.cleaned_data["service"])


def _language_names() -> list[tuple[str, str]]:
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


# --- tokens -------------------------------------------------------------------------


def confirm_token(subscriber: StatusSubscriber) -> str:
    return signing.dumps(
        {
            "id": subscriber.pk,
            "email": subscriber.email,
            "service": subscriber.service_id,
            "language": subscriber.language,
        },
        salt=CONFIRM_SALT,
        compress=True,
    )


def unsubscribe_token(subscriber: StatusSubscriber) -> str:
    # No expiry: leaving must always work; the row's id and address make a
    # token good for that one subscription only.
    return signing.dumps(
        {"id": subscriber.pk, "email": subscriber.email}, salt=UNSUBSCRIBE_SALT, compress=True
    )


class BadLink(Exception):
    """A confirmation or unsubscribe link that is forged, damaged or expired."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _read(token: str, salt: str, max_age: timedelta | None) -> dict[str, Any]:
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise BadLink(expired=True) from None
    except signing.BadSignature:
        raise BadLink() from None
    if not isinstance(value, dict) or not isinstance(value.get("id"), int):
        raise BadLink()
    return value


def confirmation_max_age() -> timedelta:
    return timedelta(hours=settings.STATUS_CONFIRMATION_MAX_AGE_HOURS)


def pending_for(token: str) -> StatusSubscriber | None:
    """The subscription a confirmation link names, or None if it is already
    confirmed; BadLink if the link is forged, expired or stale (the pending
    choice changed since it was sent)."""
    value = _read(token, CONFIRM_SALT, confirmation_max_age())
    subscriber = StatusSubscriber.objects.select_related("service").filter(pk=value["id"]).first()
    if (
        subscriber is None
        or subscriber.email != value.get("email")
        or subscriber.service_id != value.get("service")
        or subscriber.language != value.get("language")
    ):
        raise BadLink()
    return None if subscriber.confirmed_at else subscriber


def subscriber_for_unsubscribe(token: str) -> StatusSubscriber | None:
    """The subscription an unsubscribe link names, or None when it is
    already gone; BadLink if the link is forged."""
    value = _read(token, UNSUBSCRIBE_SALT, None)
    subscriber = StatusSubscriber.objects.select_related("service").filter(pk=value["id"]).first()
    if subscriber is not None and subscriber.email != value.get("email"):
        raise BadLink()
    return subscriber


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def confirm_url(subscriber: StatusSubscriber) -> str:
    with translation.override(subscriber.language):
        return absolute(reverse("statuspage:confirm", args=[confirm_token(subscriber)]))


def unsubscribe_url(subscriber: StatusSubscriber) -> str:
    """The signed one-click unsubscribe link, in the subscriber's language.
    For the mails of the `email` channel as well."""
    with translation.override(subscriber.language):
        return absolute(reverse("statuspage:unsubscribe", args=[unsubscribe_token(subscriber)]))


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe headers carrying `url`, the link the
    mail's body shows (the link answers a POST of `List-Unsubscribe=One-Click`).
    The caller signs the link once: a token signed a second later differs, and
    a mail whose header and body disagree looks forged to a careful reader."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# --- the service functions ----------------------------------------------------------


@dataclass(frozen=True)
class Requested:
    """What a subscription request did (never shown as such to the visitor)."""

    subscriber: StatusSubscriber | None
    mail_queued: bool
    reason: str  # "sent", "already subscribed", "recently sent"


def normalise(email: str) -> str:
    return email.strip().lower()


def request_subscription(
    email: str, language: str, service: Service | None, *, now: datetime | None = None
) -> Requested:
    now = now or timezone.now()
    email = normalise(email)
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    try:
        with transaction.atomic():
            return _request(email, language, service, now)
    except IntegrityError:
        # Two identical requests at once (the unique constraints):
        # the other one did it.
        return Requested(None, False, "already subscribed")


def _request(email: str, language: str, service: Service | None, now: datetime) -> Requested:
    mine = StatusSubscriber.objects.select_for_update().filter(email=email)
    if mine.filter(service=service, confirmed_at__isnull=False).exists():
        return Requested(None, False, "already subscribed")
    pending = mine.filter(confirmed_at__isnull=True).first()
    resend_after = timedelta(minutes=settings.STATUS_CONFIRMATION_RESEND_MINUTES)
    if pending is not None:
        if pending.confirmation_sent_at and now - pending.confirmation_sent_at < resend_after:
            return Requested(pending, False, "recently sent")
        pending.service = service
        pending.language = language
        pending.confirmation_sent_at = now
        pending.save(update_fields=["service", "language", "confirmation_sent_at"])
        subscriber = pending
    else:
        subscriber = StatusSubscriber.objects.create(
            email=email,
            language=language,
            service=service,
            created_at=now,
            confirmation_sent_at=now,
        )
    record_audit(
        actor=None,
        action="statuspage.subscription_requested",
        obj=subscriber,
        changes=_choice(subscriber),
        now=now,
    )
    pk = subscriber.pk
    transaction.on_commit(lambda: send_confirmation.enqueue(pk))
    return Requested(subscriber, True, "sent")


def _choice(subscriber: StatusSubscriber) -> dict[str, Any]:
    return {
        "service": subscriber.service.name if subscriber.service else None,
        "language": subscriber.language,
    }


def confirm(subscriber: StatusSubscriber, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        updated = StatusSubscriber.objects.filter(
            pk=subscriber.pk, confirmed_at__isnull=True
        ).update(confirmed_at=now)
        if updated:
            subscriber.confirmed_at = now
            record_audit(
                actor=None,
                action="statuspage.subscription_confirmed",
                obj=subscriber,
                changes=_choice(subscriber),
                now=now,
            )


def unsubscribe(subscriber: StatusSubscriber, *, now: datetime | None = None) -> None:
    with transaction.atomic():
        record_audit(
            actor=None,
            action="statuspage.unsubscribed",
            obj=subscriber,
            changes=_choice(subscriber),
            now=now,
        )
        StatusSubscriber.objects.filter(pk=subscriber.pk).delete()


# --- the confirmation mail ----------------------------------------------------------


def confirmation_email(subscriber: StatusSubscriber) -> EmailMultiAlternatives:
    leave_url = unsubscribe_url(subscriber)
    with translation.override(subscriber.language):
        context = {
            "confirm_url": confirm_url(subscriber),
            "unsubscribe_url": leave_url,
            "page_url": absolute(reverse("statuspage:page")),
            "service": (
                (subscriber.service.public_name or subscriber.service.name)
                if subscriber.service
                else None
            ),
            "hours": settings.STATUS_CONFIRMATION_MAX_AGE_HOURS,
        }
        subject = _("Confirm your subscription to the status page")
        text = render_to_string("statuspage/status/email/confirm.txt", context)
        html = render_to_string("statuspage/status/email/confirm.html", context)
        headers = {**unsubscribe_headers(leave_url), "Auto-Submitted": "auto-generated"}
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[subscriber.email], headers=headers
    )
    message.attach_alternative(html, "text/html")
    return message


@task()
def send_confirmation(subscriber_id: int, attempt: int = 1) -> str:
    subscriber = StatusSubscriber.objects.select_related("service").filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.confirmed_at is not None:
        return "nothing to do"
    try:
        confirmation_email(subscriber).send()
    except Exception as error:
        retry_later(send_confirmation, subscriber_id, attempt=attempt)
        logger.warning(
            "Sending the status page confirmation %s failed (attempt %d): %s",
            subscriber_id,
            attempt,
            error,
        )
        raise
    return "sent"


# --- who hears a public update (a recipient source of notifications.routing) --------


def recipients(event: Event) -> list[Planned]:
    """One mail per confirmed subscriber address for a public update of a
    non-private incident: subscribers of every service, and of the public
    services the incident affects. Nothing for anything else."""
    if event.type != EventType.INCIDENT_UPDATE_PUBLISHED or event.private:
        return []
    update = event.data.get("update") or {}
    if update.get("audience") != Audience.PUBLIC or event.incident_id is None:
        return []
    incident = Incident.objects.filter(pk=event.incident_id, private=False).first()
    if incident is None:  # made private (or deleted) since: never to the public
        return []
    services = incident.services.filter(public=True)
    subscribers = (
        StatusSubscriber.objects.filter(confirmed_at__isnull=False)
        .filter(Q(service__isnull=True) | Q(service__in=services))
        .order_by("email", "id")
    )
    planned: list[Planned] = []
    seen: set[str] = set()
    for subscriber in subscribers:
        if subscriber.email in seen:
            continue
        seen.add(subscriber.email)
        planned.append(
            Planned(
                channel="email",
                key=f"email:addr:{subscriber.email}",
                address=subscriber.email,
                language=subscriber.language,
                target={"subscriber": subscriber.pk},
            )
        )
    return planned
