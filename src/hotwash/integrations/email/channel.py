"""The mail channel: kind `email` in a rule's `send` list.

    - email: {to: [platform-leads@example.org, owning-team], otherwise: [admins]}

`to` (and `otherwise`, used when `to` reaches nobody) is one item or a
list of addresses and the names "owning-team", "followers",
"participants", "commander" and "admins" (notifications.recipients);
`language` is the language of mail to bare addresses (the site's by
default; accounts read their own). Routing expands a target into one
delivery per person (`expand`), filtered by who may see the incident.

Sending goes through Django's mail (the EMAIL_* settings), in the
recipient's language, threaded per incident (messages.py). Deliveries
are sent in batches over one SMTP connection (`send_many`); a failure of
one message is that delivery's failure, retried alone.
"""

from __future__ import annotations

import copy
import logging
import smtplib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from hotwash.integrations.email.messages import (
    Rendered,
    language_of,
    render,
    render_public,
    threading_headers,
)
from hotwash.notifications.channels import ChannelFailed, ChannelSkipped
from hotwash.notifications.models import Delivery, Event
from hotwash.notifications.recipients import NAMES, plan_people, who_may_see
from hotwash.notifications.routing import Planned, Rule
from hotwash.statuspage.models import StatusSubscriber
from hotwash.statuspage.subscriptions import unsubscribe_headers, unsubscribe_url

logger = logging.getLogger("hotwash.notifications")

KIND = "email"
TARGET_KEYS = ("to", "otherwise", "language")


def _items(value: Any, key: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError(f"{key} must be an address, a name or a list of them")
    checked: list[str] = []
    for item in items:
        item = item.strip()
        if item not in NAMES:
            try:
                validate_email(item)
            except ValidationError:
                raise ValueError(
                    f"{key}: {item!r} is neither an email address nor one of {', '.join(NAMES)}"
                ) from None
        checked.append(item)
    return checked


class EmailChannel:
    kind = KIND
    label = _("Email")
    reaches_people = True
    # Mails per deliver_batch task, each batch over one SMTP connection.
    batch_size = 100

    def check_target(self, target: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(target, Mapping):
            raise ValueError("the email target is a mapping, e.g. {to: [ops@example.org]}")
        unknown = sorted(set(target) - set(TARGET_KEYS))
        if unknown:
            raise ValueError(
                f"unknown key {', '.join(unknown)}; an email target has {', '.join(TARGET_KEYS)}"
            )
        if not target.get("to"):
            raise ValueError("an email target needs `to`: addresses or owning-team, ...")
        checked: dict[str, Any] = {"to": _items(target["to"], "to")}
        if target.get("otherwise"):
            checked["otherwise"] = _items(target["otherwise"], "otherwise")
        language = target.get("language")
        if language:
            codes = [code for code, _name in settings.LANGUAGES]
            if language not in codes:
                raise ValueError(f"language must be one of {', '.join(codes)}")
            checked["language"] = language
        return checked

    def send(self, delivery: Delivery) -> int | None:
        (outcome,) = self.send_many([delivery])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def send_many(self, deliveries: Sequence[Delivery]) -> list[int | Exception | None]:
        """Send each delivery (over one SMTP connection); one outcome each."""
        readers = _readers(deliveries)
        prepared: dict[tuple[str, str], Prepared] = {}
        outcomes: list[int | Exception | None] = []
        connection = get_connection(fail_silently=False)
        try:
            for delivery in deliveries:
                reason = _skip_reason(delivery, readers)
                if reason:
                    outcomes.append(ChannelSkipped(reason))
                    continue
                if delivery.target.get("subscriber"):
                    outcomes.append(_send_to_subscriber(connection, delivery))
                    continue
                language = language_of(delivery)
                key = (str(delivery.event_id), language)
                if key not in prepared:
                    content = render(delivery.event, language)
                    prepared[key] = prepare(delivery.event, content, language)
                address = readers.get(str(delivery.event_id), {}).get(
                    delivery.recipient_id or 0, delivery.address
                )
                outcomes.append(_send(connection, delivery, address, prepared[key]))
        finally:
            _close(connection)
        return outcomes


def _send_to_subscriber(connection: Any, delivery: Delivery) -> Exception | None:
    """A public update to a status page subscriber: the public text only
    (messages.render_public), with their own one-click unsubscribe link in
    the body and in the RFC 8058 headers, so it is built for each of them."""
    subscriber = StatusSubscriber.objects.filter(
        pk=delivery.target["subscriber"], confirmed_at__isnull=False
    ).first()
    if subscriber is None:
        return ChannelSkipped("Skipped: the subscriber unsubscribed.")
    language = language_of(delivery)
    leave_url = unsubscribe_url(subscriber)
    content = render_public(delivery.event, language, unsubscribe_url=leave_url)
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=content.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        headers={
            "Auto-Submitted": "auto-generated",
            "Content-Language": language,
            **unsubscribe_headers(leave_url),
            **threading_headers(delivery),
        },
        connection=connection,
    )
    message.attach_alternative(content.html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        _close(connection)
        return ChannelFailed(f"{type(error).__name__}: {error}")
    return None


def _readers(deliveries: Iterable[Delivery]) -> dict[str, dict[int, str]]:
    """Per event, which of its recipients may read it now, with their
    current address (it may have changed since routing)."""
    by_event: dict[str, tuple[Event, set[int]]] = {}
    for delivery in deliveries:
        entry = by_event.setdefault(str(delivery.event_id), (delivery.event, set()))
        if delivery.recipient_id:
            entry[1].add(delivery.recipient_id)
    return {
        event_id: dict(
            who_may_see(User.objects.filter(pk__in=ids), event).values_list("pk", "email")
        )
        for event_id, (event, ids) in by_event.items()
    }


def _private_now(event: Event) -> bool:
    return event.private or bool(event.incident_id and event.incident and event.incident.private)


def _skip_reason(delivery: Delivery, readers: dict[str, dict[int, str]]) -> str:
    if delivery.recipient_id is None:
        if _private_now(delivery.event):
            return "Skipped: the incident is private and the address is not an account's."
        return ""
    if delivery.recipient_id not in readers.get(str(delivery.event_id), {}):
        return "Skipped: the recipient can no longer see this incident (or has no address)."
    return ""


@dataclass
class Prepared:
    """One event's mail in one language, built once for all its readers:
    `message` (what any mail backend sends, with its per-reader headers to
    fill in) and, for SMTP, `shared`: the message's bytes without the
    headers that differ per reader (To, Date, Message-ID, threading), so a
    thousand readers cost one MIME build, not a thousand."""

    message: EmailMultiAlternatives
    shared: bytes


def prepare(event: Event, content: Rendered, language: str) -> Prepared:
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=content.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        headers={
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "X-Hotwash-Event": event.type,
            "Content-Language": language,
        },
    )
    message.attach_alternative(content.html, "text/html")
    mime = message.message()
    for name in PER_READER_HEADERS:
        del mime[name]
    return Prepared(message=message, shared=mime.as_bytes(linesep="\r\n"))


PER_READER_HEADERS = ("To", "Date", "Message-ID", "In-Reply-To", "References")


def _send(
    connection: Any, delivery: Delivery, address: str, prepared: Prepared
) -> Exception | None:
    headers = threading_headers(delivery)
    try:
        if isinstance(connection, SmtpBackend):
            _send_smtp(connection, address, headers, prepared)
        else:
            # Another backend (the console in development, memory in tests).
            message = copy.copy(prepared.message)
            message.to = [address]
            message.extra_headers = {**prepared.message.extra_headers, **headers}
            message.connection = connection
            message.send()
    except (smtplib.SMTPException, OSError) as error:
        # The connection may be broken: the next message opens a new one.
        _close(connection)
        return ChannelFailed(f"{type(error).__name__}: {error}")
    return None


def _send_smtp(
    connection: SmtpBackend, address: str, headers: dict[str, str], prepared: Prepared
) -> None:
    """What Django's SMTP backend does for one message, with the bytes built
    once per event and language (`prepared.shared`) and this reader's
    headers in front."""
    encoding = prepared.message.encoding or settings.DEFAULT_CHARSET
    recipient = sanitize_address(address, encoding)
    lines = [
        f"To: {recipient}",
        f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    raw = ("\r\n".join(lines) + "\r\n").encode("ascii") + prepared.shared
    if connection.connection is None:
        # Kept open for the whole batch (Django would close it after each).
        connection.open()
    assert connection.connection is not None
    connection.connection.sendmail(
        sanitize_address(prepared.message.from_email, encoding), [recipient], raw
    )


def _close(connection: Any) -> None:
    try:
        connection.close()
    except (smtplib.SMTPException, OSError) as error:
        logger.info("Closing the SMTP connection failed: %s", error)


def expand(event: Event, rule: Rule, index: int, target: dict[str, Any]) -> list[Planned]:
    """A rule's email target as one delivery per person who may read the event."""
    language = str(target.get("language") or "")
    planned = plan_people(
        event, target["to"], channel=KIND, rule=rule.name, target=target, language=language
    )
    if not planned and target.get("otherwise"):
        planned = plan_people(
            event,
            target["otherwise"],
            channel=KIND,
            rule=rule.name,
            target=target,
            language=language,
        )
    return planned
