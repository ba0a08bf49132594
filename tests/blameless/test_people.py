"""The organisation's known names, and every place the blameless-language
assistant runs knowing them: the postmortem's review panel and API, the
editor (through POST /api/v1/lint, tested in test_api) and stakeholder
updates."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from hotwash.accounts.services import create_user
from hotwash.blameless.people import organisation_names
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident
from hotwash.postmortems import services as postmortems
from hotwash.statuspage.services import check_wording

BLAMEFUL = {"en": "The deploy was broken by Sam.", "fr": "Le déploiement a été cassé par Sam."}
NEUTRAL = {"en": "Sam paged the storage team.", "fr": "Sam a prévenu l'équipe stockage."}


def test_the_names_are_every_account_s_username_first_and_full_name_in_one_query(
    responder: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    create_user("sokafor", first_name="Sam", last_name="Okafor")
    gone = create_user("will.b", first_name="Will")
    gone.is_active = False  # someone who has left can still be blamed
    gone.save()
    with django_assert_num_queries(1):
        names = organisation_names()
    assert names == ("Amira", "Sam", "Sam Okafor", "Will", "amira", "sokafor", "will.b")


def _incident_without_sam(responder: User) -> Incident:
    return incidents.declare_incident(actor=responder, title="Checkout fails", severity=2)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_review_panel_flags_an_account_that_did_not_join_the_incident(
    responder: User, other_responder: User, api: Client, language: str
) -> None:
    incident = _incident_without_sam(responder)
    assert other_responder not in incident.participants.all()
    postmortem = postmortems.draft_for_incident(incident, actor=responder)
    for key, text in (("summary", NEUTRAL[language]), ("contributing_factors", BLAMEFUL[language])):
        postmortems.save_section(
            postmortem, actor=responder, key=key, language=language, body=text, base_version=0
        )
    [found] = postmortems.lint_postmortem(postmortem)
    assert (found["section"], found["language"]) == ("contributing_factors", language)
    assert (found["finding"].rule, found["finding"].excerpt) == ("person-as-cause", "Sam")
    response = api.get(f"/api/v1/postmortems/{postmortem.pk}/lint")
    assert [item["finding"]["excerpt"] for item in response.json()] == ["Sam"]


def test_the_editor_leaves_the_names_to_the_server(
    responder: User, responder_client: Client
) -> None:
    postmortem = postmortems.draft_for_incident(_incident_without_sam(responder), actor=responder)
    response = responder_client.get(f"/en/postmortems/{postmortem.pk}/edit/")
    assert response.status_code == 200
    assert response.context["editor_config"]["lintUrl"] == "/api/v1/lint"
    assert "names" not in response.context["editor_config"]


def test_a_stakeholder_update_flags_an_account_that_did_not_join_the_incident(
    responder: User, other_responder: User
) -> None:
    incident = _incident_without_sam(responder)
    found = check_wording(incident, BLAMEFUL)
    assert {language: [f.excerpt for f in items] for language, items in found.items()} == {
        "en": ["Sam"],
        "fr": ["Sam"],
    }
    assert check_wording(incident, NEUTRAL) == {}
