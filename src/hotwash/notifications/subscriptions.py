"""Managing webhook subscriptions (the API's; the admin has its own form):
create one with a generated signing secret, or one read from a
HOTWASH_SECRET_ variable; delete one. Admins only; each change is audited
in its own transaction. The secret is returned once, by `create_webhook`,
and stored encrypted; nothing reads it back out except the sender."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import is_admin
from hotwash.core.audit import record_audit
from hotwash.core.errors import InvalidInput, NotFound, PermissionDenied
from hotwash.core.outbound import OutboundRefused, check_url
from hotwash.core.secret_env import env_name_problem
from hotwash.notifications.events import EventType
from hotwash.notifications.models import WebhookSubscription

NAME_MAX = WebhookSubscription._meta.get_field("name").max_length or 100
URL_MAX = WebhookSubscription._meta.get_field("url").max_length or 500


@dataclass(frozen=True)
class Created:
    subscription: WebhookSubscription
    # The generated signing secret, to show once; None when it is read from
    # the environment (secret_env).
    secret: str | None


def require_admin(actor: User) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_("Only admins can manage webhooks."))


def create_webhook(
    *,
    actor: User,
    url: str,
    events: Sequence[str],
    name: str = "",
    secret_env: str = "",
    include_private: bool = False,
    now: datetime | None = None,
) -> Created:
    """A new active subscription. Without `secret_env`, Hotwash generates
    the signing secret and returns it (the only time it is shown)."""
    require_admin(actor)
    now = timezone.now() if now is None else now
    url = clean_url(url)
    wanted = clean_events(events)
    name = clean_name(name, url)
    secret_env = clean_secret_env(secret_env)
    secret = None if secret_env else secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        name=name,
        url=url,
        events=wanted,
        secret_env=secret_env,
        include_private=bool(include_private),
    )
    if secret is not None:
        subscription.secret = secret
    with transaction.atomic():
        subscription.save()
        record_audit(
            actor=actor,
            action="webhook.created",
            obj=subscription,
            changes=_described(subscription),
            now=now,
        )
    return Created(subscription, secret)


def delete_webhook(*, actor: User, subscription_id: int, now: datetime | None = None) -> None:
    """Remove a subscription and its delivery records (deliveries still
    queued then do nothing). The audit record keeps what it was."""
    require_admin(actor)
    now = timezone.now() if now is None else now
    with transaction.atomic():
        subscription = (
            WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        )
        if subscription is None:
            raise NotFound(_("No webhook %(id)s.") % {"id": subscription_id})
        record_audit(
            actor=actor,
            action="webhook.deleted",
            obj=subscription,
            changes=_described(subscription),
            now=now,
        )
        subscription.delete()


def _described(subscription: WebhookSubscription) -> dict[str, Any]:
    """What the audit record keeps: never the secret, only where it comes from."""
    return {
        "name": subscription.name,
        "url": subscription.url,
        "events": list(subscription.events),
        "include_private": subscription.include_private,
        "secret_env": subscription.secret_env,
    }


# --- input ----------------------------------------------------------------------


def clean_url(value: str) -> str:
    url = value.strip()
    if not url:
        raise InvalidInput(_("Give the URL to send events to."), field="url")
    if len(url) > URL_MAX:
        raise InvalidInput(
            _("The URL is longer than %(max)d characters.") % {"max": URL_MAX}, field="url"
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise InvalidInput(
            _("%(url)s is not an http:// or https:// URL.") % {"url": url}, field="url"
        ) from None
    try:
        check_url(url)
    except OutboundRefused as refused:
        raise InvalidInput(str(refused), field="url") from None
    return url


def clean_events(events: Sequence[str]) -> list[str]:
    """The event names, in catalogue order, each once; an empty list means
    every event (today's and those added later)."""
    unknown = sorted({event for event in events if event not in EventType.values})
    if unknown:
        raise InvalidInput(
            _("Unknown events: %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(EventType.values)},
            field="events",
        )
    return [event for event in EventType.values if event in set(events)]


def clean_name(value: str, url: str) -> str:
    """The name given, or the receiver's host name."""
    name = value.strip()
    if len(name) > NAME_MAX:
        raise InvalidInput(
            _("The name is longer than %(max)d characters.") % {"max": NAME_MAX}, field="name"
        )
    return name or (urlsplit(url).hostname or url)[:NAME_MAX]


def clean_secret_env(value: str) -> str:
    name = value.strip()
    if name and (problem := env_name_problem(name)) is not None:
        raise InvalidInput(problem, field="secret_env")
    return name
