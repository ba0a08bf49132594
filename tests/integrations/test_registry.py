"""The integrations are registered at start-up, one folder each, and the
domains find them by kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.test import Client

import hotwash.integrations
from hotwash.alerts.models import AlertSource
from hotwash.alerts.sources import sources
from hotwash.core import registry as registry_module
from hotwash.core.registry import Registry
from hotwash.integrations.apps import INTEGRATIONS
from hotwash.trackers.models import TrackerConfig
from hotwash.trackers.registry import trackers

FOLDER = Path(hotwash.integrations.__file__).parent


@dataclass
class Thing:
    kind: str
    label: str = ""


def test_every_folder_is_registered_and_every_registration_is_a_folder() -> None:
    folders = sorted(path.name for path in FOLDER.iterdir() if (path / "__init__.py").is_file())
    assert sorted(name.rsplit(".", 1)[1] for name in INTEGRATIONS) == folders


def test_the_domains_find_them_in_the_order_of_the_list() -> None:
    assert sources.kinds() == ["alertmanager", "grafana", "generic", "sns"]
    assert trackers.kinds() == ["github", "gitlab", "jira"]
    assert [str(label) for _kind, label in trackers.choices()] == [
        "GitHub Issues",
        "GitLab issues",
        "Jira",
    ]


def test_every_kind_fits_its_column() -> None:
    source_column = AlertSource._meta.get_field("kind").max_length
    tracker_column = TrackerConfig._meta.get_field("kind").max_length
    assert source_column and all(len(kind) <= source_column for kind in sources.kinds())
    assert tracker_column and all(len(kind) <= tracker_column for kind in trackers.kinds())


@pytest.mark.django_db
def test_every_alert_source_kind_has_its_endpoint() -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for kind in sources.kinds():
        assert paths[f"/api/v1/alerts/{kind}"]["post"]["operationId"] == f"receive_{kind}"


def test_a_registry_refuses_two_integrations_of_one_kind() -> None:
    registry: Registry[Thing] = Registry("thing")
    registry.register(Thing("a"))
    with pytest.raises(ImproperlyConfigured):
        registry.register(Thing("a"))
    assert registry.get("a").kind == "a"
    assert registry.find("b") is None
    with pytest.raises(LookupError):
        registry.get("b")


def test_a_registry_read_before_the_apps_are_ready_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    registry: Registry[Thing] = Registry("thing")
    registry.register(Thing("a"))
    monkeypatch.setattr(apps, "ready", False)
    monkeypatch.setattr(registry_module._Filled, "done", False)
    with pytest.raises(AppRegistryNotReady):
        registry.kinds()
