"""Write-side functions for alert sources (ingestion itself is ingest.py)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.services import token_digest
from hotwash.alerts.auth import forget_sources
from hotwash.alerts.models import AlertSource
from hotwash.alerts.sources import sources
from hotwash.core.audit import record_audit
from hotwash.core.errors import Conflict, InvalidInput
from hotwash.core.text import clean_text

Actor = User | AnonymousUser | None

TOKEN_PREFIX = "hwa_"
NAME_MAX = 100


def new_token() -> tuple[str, str, str]:
    """A fresh token, its digest and its displayable prefix."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_digest(token), token[:10]


def clean_kind(value: object) -> str:
    text = str(value or "").strip().lower()
    if sources.find(text) is None:
        raise InvalidInput(
            _("Unknown alert source kind %(value)s: use one of %(choices)s.")
            % {"value": value, "choices": ", ".join(sources.kinds())},
            field="kind",
        )
    return text


def clean_name(value: object) -> str:
    return clean_text(
        value,
        field="name",
        limit=NAME_MAX,
        missing=_("Give the alert source a name."),
        too_long=_("An alert source name can be at most %(limit)d characters."),
    )


@transaction.atomic
def create_source(
    *,
    name: str,
    kind: str,
    actor: Actor = None,
    group_by: Iterable[str] | None = None,
    allowed_topic_arns: Iterable[str] = (),
) -> tuple[AlertSource, str]:
    """Create a source and return it with its token, which cannot be
    recovered later (only its digest is stored)."""
    name, kind = clean_name(name), clean_kind(kind)
    if AlertSource.objects.filter(name=name).exists():
        raise Conflict(
            _("There is already an alert source named %(name)s.") % {"name": name}, field="name"
        )
    token, digest, prefix = new_token()
    source = AlertSource(
        name=name,
        kind=kind,
        digest=digest,
        prefix=prefix,
        created_at=timezone.now(),
        allowed_topic_arns=[arn.strip() for arn in allowed_topic_arns if arn.strip()],
    )
    if group_by is not None:
        source.group_by = [label.strip() for label in group_by if label.strip()]
    source.save()
    record_audit(
        actor=actor, action="alert_source.created", obj=source, changes={"name": name, "kind": kind}
    )
    return source, token


@transaction.atomic
def replace_token(source: AlertSource, *, actor: Actor = None) -> str:
    """Give the source a new token; the old one stops working (in every
    process within a few seconds, see auth.SOURCE_CACHE_SECONDS)."""
    token, digest, prefix = new_token()
    AlertSource.objects.filter(pk=source.pk).update(digest=digest, prefix=prefix)
    source.digest, source.prefix = digest, prefix
    record_audit(actor=actor, action="alert_source.token_replaced", obj=source)
    forget_remembered_sources()
    return token


def forget_remembered_sources() -> None:
    """After a change to a source: forget remembered tokens now, and again
    after the commit (a request in between may have remembered the row as
    it was before)."""
    forget_sources()
    transaction.on_commit(forget_sources)


def record_sns_subscription(source: AlertSource, *, topic_arn: str, action: str) -> None:
    """Audit an SNS subscription being confirmed or ended (no actor: AWS)."""
    record_audit(actor=None, action=action, obj=source, changes={"topic_arn": topic_arn})
