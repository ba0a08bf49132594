"""Text Hotwash writes itself (the detection gap's "Add detection for ...")
reads in each reader's language: on the proposal, on the action item it
makes, and on the timeline, whoever declared the incident in which language."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from hotwash.actions import services as actions
from hotwash.actions.models import ActionItem
from hotwash.incidents import services as incidents
from hotwash.incidents.display import describe_event
from hotwash.incidents.models import Incident, TimelineKind
from hotwash.triggers import services
from hotwash.triggers.models import Proposal

pytestmark = pytest.mark.django_db

TITLES = {
    "en": "Add detection for “Exports vides”",
    "fr": "Ajouter une détection pour « Exports vides »",
}
DESCRIPTIONS = {
    "en": "was found by a person, not by an alert.",
    "fr": "a été découvert par une personne, pas par une alerte.",
}


@pytest.fixture
def incident(responder: User) -> Incident:
    """Declared by a person (so the detection gap proposes), in French."""
    with translation.override("fr"):
        return incidents.declare_incident(actor=responder, title="Exports vides")


def _page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_proposal_reads_in_the_readers_language(
    responder_client: Client, incident: Incident, language: str
) -> None:
    other = "fr" if language == "en" else "en"
    for path in (f"/{language}/triggers/proposals/", f"/{language}/incidents/{incident.ref}/"):
        html = _page(responder_client, path)
        assert TITLES[language] in html
        assert TITLES[other] not in html
    with translation.override(language):
        assert TITLES[language] in services.describe_firing(Proposal.objects.get().firing)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_action_item_it_makes_reads_in_the_readers_language(
    responder_client: Client, responder: User, incident: Incident, language: str
) -> None:
    services.accept(Proposal.objects.get(), actor=responder)
    item = ActionItem.objects.get()
    assert item.title == TITLES["en"]  # the site's language, for trackers and the API
    other = "fr" if language == "en" else "en"
    for path in (
        f"/{language}/action-items/{item.pk}/",
        f"/{language}/action-items/?owner=amira",
        f"/{language}/incidents/{incident.ref}/",
    ):
        html = _page(responder_client, path)
        assert TITLES[language] in html
        assert TITLES[other] not in html
    assert DESCRIPTIONS[language] in _page(responder_client, f"/{language}/action-items/{item.pk}/")
    with translation.override(language):
        entries = [
            describe_event(event)
            for event in incident.timeline.filter(
                kind__in=[TimelineKind.TRIGGER, TimelineKind.ACTION_ITEM]
            )
        ]
    assert any(TITLES[language] in entry for entry in entries)
    assert not any(TITLES[other] in entry for entry in entries)


def test_a_rewritten_title_is_shown_as_written(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    services.accept(Proposal.objects.get(), actor=responder)
    item = actions.update_action_item(
        ActionItem.objects.get(), actor=responder, changes={"title": "Alert on empty exports"}
    )
    for language in ("en", "fr"):
        html = _page(responder_client, f"/{language}/action-items/{item.pk}/")
        assert f"<title>{item.ref} Alert on empty exports" in html
        assert "</span> Alert on empty exports</h1>" in html


def test_the_edit_form_offers_the_title_in_the_readers_language(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    services.accept(Proposal.objects.get(), actor=responder)
    item = ActionItem.objects.get()
    html = _page(responder_client, f"/fr/action-items/{item.pk}/")
    assert f'value="{TITLES["fr"]}"' in html.replace("&quot;", '"')


def test_proposals_and_items_from_before_are_worded_in_every_language(
    responder_client: Client, responder: User, incident: Incident
) -> None:
    proposal = Proposal.objects.get()
    proposal.details = {
        k: v for k, v in proposal.details.items() if k not in ("subject", "ref")
    }  # as stored until now
    proposal.save(update_fields=["details"])
    services.accept(proposal, actor=responder)
    item = ActionItem.objects.get()
    assert item.translations == {}
    assert TITLES["en"] in _page(responder_client, f"/fr/action-items/{item.pk}/")

    migration = importlib.import_module(
        "hotwash.triggers.migrations.0002_generated_text_in_every_language"
    )
    migration.word_in_every_language(apps, None)

    proposal.refresh_from_db()
    for language in ("en", "fr"):
        with translation.override(language):
            assert proposal.display_title == TITLES[language]
    html = _page(responder_client, f"/fr/action-items/{item.pk}/")
    assert TITLES["fr"] in html
    assert DESCRIPTIONS["fr"] in html
