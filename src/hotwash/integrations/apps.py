"""The integrations app: fills the domains' registries at start-up."""

from __future__ import annotations

from importlib import import_module

from django.apps import AppConfig

from hotwash.core.registry import mark_filled

# One line per integration, each a folder with a register() function. The
# order is the order of choices in forms and of endpoints in the API
# document. Adding an integration is copying a folder and adding its line.
INTEGRATIONS = [
    "hotwash.integrations.alertmanager",
    "hotwash.integrations.grafana",
    "hotwash.integrations.generic",
    "hotwash.integrations.sns",
    "hotwash.integrations.github",
    "hotwash.integrations.gitlab",
    "hotwash.integrations.jira",
    "hotwash.integrations.pagerduty",
    "hotwash.integrations.opsgenie",
    "hotwash.integrations.email",
    "hotwash.integrations.webhook",
    "hotwash.integrations.slack",
    "hotwash.integrations.teams",
]


class IntegrationsConfig(AppConfig):
    name = "hotwash.integrations"
    label = "integrations"

    def ready(self) -> None:
        # Each folder is imported here, once every app's models are loaded
        # (integrations use the domains' models), and registers itself.
        for name in INTEGRATIONS:
            import_module(name).register()
        # The apps after this one (wiring's start-up checks) may read them now.
        mark_filled()
