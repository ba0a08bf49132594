"""`hotwash reindex`, and the migration that indexes what an existing
installation already holds."""

from __future__ import annotations

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command

from hotwash.actions.services import create_action_item
from hotwash.incidents.services import add_timeline_event, declare_incident
from hotwash.search import engine
from hotwash.search.models import Document
from tests.search.helpers import alert_group, postmortem_for, refs, write_section

pytestmark = pytest.mark.django_db

migration = importlib.import_module("hotwash.search.migrations.0001_initial")


@pytest.fixture
def everything(responder: User) -> None:
    incident = declare_incident(actor=responder, title="Ascenseur bloqué")
    add_timeline_event(incident, actor=responder, body="Technicien appelé.")
    postmortem = postmortem_for(incident, responder)
    write_section(postmortem, responder, "summary", "en", "The lift controller froze.")
    create_action_item(
        actor=responder, title="Replace controller", owner=responder, incident=incident
    )
    alert_group(incident, {"alertname": "LiftStuck"})


def test_reindex_writes_everything_again(everything: None, responder: User) -> None:
    before = sorted(Document.objects.values_list("kind", "object_id", "body"))
    engine.clear()
    assert refs(responder, "technicien") == []

    out = StringIO()
    call_command("reindex", stdout=out)

    assert out.getvalue().startswith("Indexed 4 documents in ")
    assert sorted(Document.objects.values_list("kind", "object_id", "body")) == before
    assert len(refs(responder, "technicien")) == 1
    assert len(refs(responder, "controller")) == 3  # the incident's timeline names the item
    assert len(refs(responder, "liftstuck")) == 1


def test_the_migration_indexes_existing_rows(everything: None, responder: User) -> None:
    engine.clear()

    migration.index_existing(apps, None)

    assert Document.objects.count() == 4
    assert len(refs(responder, "ascenseurs bloques")) == 2  # the incident, its postmortem
