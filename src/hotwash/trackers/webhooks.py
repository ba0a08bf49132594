"""Checking and reading the webhooks trackers send when an issue changes.

Every tracker's webhook carries the tracker's secret in a header (GitHub and
Jira sign the raw body with it, GitLab sends it as is); each integration
says which header and what it must say (registry.Tracker), and this module
compares in constant time before anything is read. A tracker without a
webhook secret accepts no webhooks at all. Reading a verified webhook (a
close, a reopen, or something to ignore) is the integration's too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from hotwash.core.errors import DomainError, InvalidInput
from hotwash.trackers.credentials import CredentialMissing, webhook_secret
from hotwash.trackers.models import TrackerConfig
from hotwash.trackers.registry import trackers


class SignatureRefused(DomainError):
    """The webhook is not signed with the tracker's secret: nothing is read."""

    status_code = 401


@dataclass
class WebhookEvent:
    """A close or reopen of issue `key` (of this tracker's project), or
    something to ignore (`ignored` says what)."""

    key: str = ""
    closed: bool = False
    updated_at: datetime | None = None
    ignored: str = ""
    other_project: bool = False


def hmac_sha256_signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the body>`, as GitHub and Jira sign."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(tracker: TrackerConfig, headers: Mapping[str, str], body: bytes) -> None:
    """Raise SignatureRefused unless the request carries the tracker's secret."""
    try:
        secret = webhook_secret(tracker)
    except CredentialMissing:
        secret = None
    if not secret:
        raise SignatureRefused(
            _(
                "This tracker has no webhook secret configured, so Hotwash accepts no "
                "webhooks for it. Set one in the tracker's settings."
            )
        )
    integration = trackers.get(tracker.kind)
    header = integration.signature_header
    sent = headers.get(header, "")
    if not sent:
        raise SignatureRefused(
            _("The webhook has no %(header)s header; it must be signed with the secret.")
            % {"header": header}
        )
    expected = integration.expected_signature(secret, body)
    if not hmac.compare_digest(sent.strip().encode(), expected.encode()):
        raise SignatureRefused(
            _("The webhook's %(header)s does not match this tracker's secret.") % {"header": header}
        )


def parse(tracker: TrackerConfig, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
    """What a verified webhook says."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput(_("The webhook's body is not JSON.")) from None
    if not isinstance(payload, dict):
        raise InvalidInput(_("The webhook's body is not a JSON object."))
    try:
        return trackers.get(tracker.kind).read_webhook(tracker, headers, payload)
    except (KeyError, TypeError, AttributeError):
        raise InvalidInput(
            _("The webhook does not have the fields this tracker's webhooks have.")
        ) from None
