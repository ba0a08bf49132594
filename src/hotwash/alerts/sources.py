"""The kinds of alert source, and what each provides.

Each kind is an integration (hotwash/integrations/alertmanager/, grafana/,
generic/, sns/) that implements `AlertSourceKind` and registers itself in
`sources` at start-up. The alerts app gives every registered kind its
webhook endpoint, /api/v1/alerts/<kind> (api.py), and its place in
`AlertSource.kind`'s choices; it never imports an integration.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, ClassVar

from django.utils.functional import Promise

from hotwash.core.registry import Registry

if TYPE_CHECKING:
    from ninja.security.base import AuthBase
    from pydantic import BaseModel

    from hotwash.alerts.ingest import IncomingAlert
    from hotwash.alerts.models import AlertSource


class AlertSourceKind(abc.ABC):
    """One kind of monitoring system that posts alerts to Hotwash."""

    #: Stored in AlertSource.kind, and the endpoint's last path segment.
    kind: ClassVar[str]
    #: Its name for people (the admin's choices).
    label: ClassVar[str | Promise]
    #: The endpoint in the API document: a one-line summary, a description
    #: (Markdown) and the request body it takes.
    summary: ClassVar[str]
    description: ClassVar[str]
    payload: ClassVar[type[BaseModel]]
    content_type: ClassVar[str] = "application/json"
    #: Statuses the endpoint may answer besides the usual ones, e.g. 502
    #: when a system it must call back cannot be reached.
    extra_statuses: ClassVar[tuple[int, ...]] = ()

    @abc.abstractmethod
    def authentication(self) -> AuthBase:
        """How the sender proves it is the source: one of alerts/auth.py's
        ways (the request's `auth` is then the AlertSource, or a Refusal
        to answer with a Basic challenge)."""

    @abc.abstractmethod
    def receive(self, source: AlertSource, body: bytes) -> list[IncomingAlert]:
        """The alerts a request's body carries, for `source` (which sent
        it). Raises InvalidPayload (alerts/payloads.py) for a body it cannot
        read, or a DomainError for one it refuses; returns [] for a message
        that carries no alert (a subscription handshake, say)."""


sources: Registry[AlertSourceKind] = Registry("alert source kind")


def kind_choices() -> list[tuple[str, str | Promise]]:
    """AlertSource.kind's choices: the registered kinds."""
    return sources.choices()
