"""Registries of integrations: one per kind of outside system.

A domain that talks to outside systems (alerts: monitoring systems; trackers:
issue trackers) defines the interface its integrations implement and one
`Registry` of them. Each integration (a folder under hotwash/integrations/)
implements the interface and registers itself when the integrations app is
ready (IntegrationsConfig.ready), so the domain finds an integration by the
kind stored in its rows ("github", "sns") and never imports one. A new kind
of outside system (chat, pager, mail) is a new interface and a new Registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

from django.apps import apps
from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils.functional import Promise


class _Filled:
    """Set by IntegrationsConfig.ready() once every integration registered:
    the apps that come after it (wiring, which validates the notification
    rules and their channels at start-up) may read the registries before
    Django marks every app ready."""

    done = False


def mark_filled() -> None:
    _Filled.done = True


class Integration(Protocol):
    """What every integration has, whatever it integrates."""

    @property
    def kind(self) -> str:
        """The value stored in the database, e.g. "github"."""

    @property
    def label(self) -> str | Promise:
        """Its name for people, in their language, e.g. "GitHub Issues"."""


IntegrationT = TypeVar("IntegrationT", bound=Integration)


class Registry(Generic[IntegrationT]):
    """The integrations of one kind, in the order they were registered (the
    order of hotwash.integrations.apps.INTEGRATIONS, which is the order of
    choices in forms and of endpoints in the API document)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[str, IntegrationT] = {}

    def register(self, integration: IntegrationT) -> IntegrationT:
        if integration.kind in self._entries:
            raise ImproperlyConfigured(f"Two {self.what}s are registered as {integration.kind!r}.")
        self._entries[integration.kind] = integration
        return integration

    def get(self, kind: str) -> IntegrationT:
        """The integration of `kind`; LookupError if there is none."""
        found = self.find(kind)
        if found is None:
            raise LookupError(f"No {self.what} of kind {kind!r} is registered.")
        return found

    def find(self, kind: str) -> IntegrationT | None:
        self._check_filled()
        return self._entries.get(kind)

    def kinds(self) -> list[str]:
        return [integration.kind for integration in self]

    def choices(self) -> list[tuple[str, str | Promise]]:
        """(kind, label) pairs, for a model field's choices."""
        return [(integration.kind, integration.label) for integration in self]

    def __iter__(self) -> Iterator[IntegrationT]:
        self._check_filled()
        return iter(list(self._entries.values()))

    def _check_filled(self) -> None:
        # The registry is filled by IntegrationsConfig.ready(); read before
        # that (at import time, say), it would silently look empty.
        if not (apps.ready or _Filled.done):
            raise AppRegistryNotReady(
                f"The {self.what} registry was read before the apps were ready; "
                "integrations register themselves in IntegrationsConfig.ready()."
            )
