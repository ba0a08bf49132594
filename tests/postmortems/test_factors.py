"""Contributing factors: tagging a postmortem from the organisation's
taxonomy and with free tags, through the service, the API, the page's form
and the Markdown files, and the suggestions read from its text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token
from hotwash.core.errors import InvalidInput, NotFound, PermissionDenied
from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident
from hotwash.postmortems import services
from hotwash.postmortems.factors import (
    Factor,
    clean_factors,
    factors_of,
    set_factors,
    suggest_factors,
)
from hotwash.postmortems.importing import import_paths
from hotwash.postmortems.markdown import export_file
from hotwash.postmortems.models import ContributingFactor, Postmortem, Section

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(responder: User) -> Incident:
    return incidents.declare_incident(
        actor=responder, title="Checkout fails", severity=3, services=["checkout"]
    )


@pytest.fixture
def postmortem(responder: User, incident: Incident) -> Postmortem:
    return services.create_retrospective(
        actor=responder, title="", kind="incident", incident=incident
    )


def values(postmortem: Postmortem) -> list[str]:
    return [factor.value for factor in factors_of(postmortem)]


def write_section(postmortem: Postmortem, actor: User, body: str, language: str = "en") -> None:
    current = Section.objects.filter(
        postmortem=postmortem, key="contributing_factors", language=language
    ).first()
    services.save_section(
        postmortem,
        actor=actor,
        key="contributing_factors",
        language=language,
        body=body,
        base_version=current.version if current else 0,
    )


def token_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user, name='t')}")


# --- the service ---------------------------------------------------------------------


def test_it_reads_keys_names_in_either_language_and_free_tags(
    responder: User, postmortem: Postmortem
) -> None:
    saved = set_factors(
        postmortem,
        actor=responder,
        factors=["monitoring-gap", "Gestion des changements", "  vendor   quirk ", "CAPACITY"],
    )
    assert saved == [
        Factor(key="monitoring-gap"),
        Factor(key="change-management"),
        Factor(tag="vendor quirk"),
        Factor(key="capacity"),
    ]
    assert values(postmortem) == ["monitoring-gap", "change-management", "vendor quirk", "capacity"]
    assert Factor(key="monitoring-gap").name("fr") == "Lacune de supervision"
    assert Factor(tag="vendor quirk").name("fr") == "vendor quirk"


def test_it_keeps_each_factor_once_and_a_tag_in_its_first_spelling(
    responder: User, postmortem: Postmortem
) -> None:
    set_factors(
        postmortem,
        actor=responder,
        factors=["Vendor quirk", "vendor QUIRK", "monitoring-gap", "Monitoring gap", ""],
    )
    assert values(postmortem) == ["Vendor quirk", "monitoring-gap"]


def test_a_change_is_audited_with_before_and_after_and_the_same_list_writes_nothing(
    responder: User, postmortem: Postmortem
) -> None:
    set_factors(postmortem, actor=responder, factors=["testing"])
    set_factors(postmortem, actor=responder, factors=["testing", "dns"])
    set_factors(postmortem, actor=responder, factors=["testing", "dns"])
    records = AuditRecord.objects.filter(
        action="postmortem.factors_changed", object_id=str(postmortem.pk)
    ).order_by("id")
    assert [record.changes["factors"] for record in records] == [
        {"from": [], "to": ["testing"]},
        {"from": ["testing"], "to": ["testing", "dns"]},
    ]
    assert records[0].actor == responder


@pytest.mark.parametrize(
    "factors",
    [["x" * 51], {"monitoring-gap": True}, [["nested"]], [f"tag {n}" for n in range(21)]],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    responder: User, postmortem: Postmortem, factors: Any
) -> None:
    set_factors(postmortem, actor=responder, factors=["testing"])
    with pytest.raises(InvalidInput) as caught:
        set_factors(postmortem, actor=responder, factors=factors)
    assert caught.value.field == "factors"
    assert values(postmortem) == ["testing"]


def test_a_key_the_policy_dropped_stays_a_key_on_the_postmortem_that_has_it() -> None:
    assert clean_factors(["legacy-key"]) == [Factor(tag="legacy-key")]
    assert clean_factors(["legacy-key"], keep=["legacy-key"]) == [Factor(key="legacy-key")]
    assert Factor(key="legacy-key").name() == "legacy-key"


def test_viewers_cannot_tag_and_outsiders_cannot_see_a_private_postmortem(
    responder: User, viewer: User, other_responder: User, postmortem: Postmortem
) -> None:
    with pytest.raises(PermissionDenied):
        set_factors(postmortem, actor=viewer, factors=["testing"])
    secret = incidents.declare_incident(actor=responder, title="Secret", private=True)
    hidden = services.create_retrospective(
        actor=responder, title="", kind="incident", incident=secret
    )
    with pytest.raises(NotFound):
        set_factors(hidden, actor=other_responder, factors=["testing"])
    assert not ContributingFactor.objects.exists()


def test_factors_can_be_tagged_after_approval(responder: User, postmortem: Postmortem) -> None:
    Postmortem.objects.filter(pk=postmortem.pk).update(status="approved")
    postmortem.refresh_from_db()
    set_factors(postmortem, actor=responder, factors=["testing"])
    assert values(postmortem) == ["testing"]


# --- suggestions ----------------------------------------------------------------------


def test_suggestions_come_from_the_contributing_factors_text_with_the_words_that_say_so(
    responder: User, postmortem: Postmortem
) -> None:
    assert suggest_factors(postmortem) == []
    write_section(postmortem, responder, "No alert fired; the runbook was out of date.")
    write_section(postmortem, responder, "Le déploiement du soir a changé la config.", "fr")
    suggested = {s.key: s.words for s in suggest_factors(postmortem)}
    assert suggested["monitoring-gap"] == ("alert",)
    assert suggested["knowledge-documentation"] == ("runbook",)
    assert "déploiement" in suggested["change-management"]
    assert "config" in suggested["configuration"]
    assert "capacity" not in suggested
    # Once tagged, a factor is no longer suggested.
    set_factors(postmortem, actor=responder, factors=["monitoring-gap"])
    assert "monitoring-gap" not in {s.key for s in suggest_factors(postmortem)}


def test_a_word_inside_another_is_not_a_cue(responder: User, postmortem: Postmortem) -> None:
    write_section(postmortem, responder, "We downloaded the latest package.")
    assert "capacity" not in {s.key for s in suggest_factors(postmortem)}


# --- the API ---------------------------------------------------------------------------------


def test_the_api_reads_and_replaces_the_factors(
    api: Client, responder: User, postmortem: Postmortem
) -> None:
    write_section(postmortem, responder, "Nobody was paged: the alert went to an old channel.")
    path = f"/api/v1/postmortems/{postmortem.ref}/factors"
    body = api.get(path).json()
    assert body["factors"] == []
    assert body["suggestions"][0]["key"] == "monitoring-gap"
    assert body["suggestions"][0]["words"] == ["alert"]
    response = api.put(
        path,
        data=json.dumps({"factors": ["monitoring-gap", "vendor quirk"]}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["factors"] == [
        {"value": "monitoring-gap", "key": "monitoring-gap", "name": "Monitoring gap"},
        {"value": "vendor quirk", "key": None, "name": "vendor quirk"},
    ]
    assert response.json()["suggestions"] == []
    # The postmortem itself shows them, in the request's language.
    read = api.get(f"/api/v1/postmortems/{postmortem.ref}", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert [factor["name"] for factor in read["factors"]] == [
        "Lacune de supervision",
        "vendor quirk",
    ]


def test_the_api_refuses_bad_factors_with_422_naming_the_field(
    api: Client, responder: User, postmortem: Postmortem
) -> None:
    set_factors(postmortem, actor=responder, factors=["testing"])
    path = f"/api/v1/postmortems/{postmortem.ref}/factors"
    for payload in ({"factors": "testing"}, {"factors": ["y" * 60]}, {}):
        response = api.put(path, data=json.dumps(payload), content_type="application/json")
        assert response.status_code == 422, (payload, response.content)
        assert "factors" in json.dumps(response.json())
    assert values(postmortem) == ["testing"]


def test_the_api_answers_403_to_a_viewer_and_404_for_a_private_incident(
    responder: User, viewer: User, other_responder: User, postmortem: Postmortem
) -> None:
    body = json.dumps({"factors": ["testing"]})
    viewer_api = token_client(viewer)
    path = f"/api/v1/postmortems/{postmortem.ref}/factors"
    assert viewer_api.get(path).status_code == 200
    assert viewer_api.put(path, data=body, content_type="application/json").status_code == 403
    secret = incidents.declare_incident(actor=responder, title="Secret", private=True)
    hidden = services.create_retrospective(
        actor=responder, title="", kind="incident", incident=secret
    )
    outsider = token_client(other_responder)
    hidden_path = f"/api/v1/postmortems/{hidden.ref}/factors"
    assert outsider.get(hidden_path).status_code == 404
    assert outsider.put(hidden_path, data=body, content_type="application/json").status_code == 404
    assert not ContributingFactor.objects.exists()


# --- the page's form --------------------------------------------------------------------------


def test_the_form_offers_the_taxonomy_with_descriptions_and_suggestions(
    responder_client: Client, responder: User, postmortem: Postmortem
) -> None:
    write_section(postmortem, responder, "The alert never fired.")
    set_factors(postmortem, actor=responder, factors=["testing", "vendor quirk"])
    page = responder_client.get(f"/en/postmortems/{postmortem.pk}/factors/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="factors" value="monitoring-gap" id="factors_monitoring-gap"' in html
    assert "Nothing alerted, or the alert came late" in html  # its description
    assert "the section mentions alert." in html
    assert 'value="testing" id="factors_testing" checked' in html
    assert 'value="vendor quirk"' in html  # the free tags' field
    french = responder_client.get(f"/fr/postmortems/{postmortem.pk}/factors/").content.decode()
    assert "Lacune de supervision" in french
    assert "Facteurs contributifs de" in french


def test_the_form_saves_ticked_factors_and_free_tags(
    responder_client: Client, responder: User, postmortem: Postmortem
) -> None:
    response = responder_client.post(
        f"/en/postmortems/{postmortem.pk}/factors/",
        {"factors": ["capacity", "monitoring-gap"], "other": "vendor quirk, dns"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(
        f"/postmortems/{postmortem.pk}/#section-contributing_factors"
    )
    assert values(postmortem) == ["capacity", "monitoring-gap", "vendor quirk", "dns"]
    page = responder_client.get(f"/en/postmortems/{postmortem.pk}/").content.decode()
    assert "Tagged factors:" in page
    assert "Capacity, Monitoring gap, vendor quirk" in page


def test_the_form_shows_a_mistake_beside_the_boxes_and_changes_nothing(
    responder_client: Client, responder: User, postmortem: Postmortem
) -> None:
    set_factors(postmortem, actor=responder, factors=["testing"])
    response = responder_client.post(
        f"/en/postmortems/{postmortem.pk}/factors/", {"factors": ["capacity"], "other": "z" * 60}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "too long" in html
    assert 'id="factors_other_error"' in html  # beside the free tags, where the mistake is
    assert 'value="capacity" id="factors_capacity" checked' in html  # what was ticked stays
    assert values(postmortem) == ["testing"]


def test_viewers_get_403_and_outsiders_404_on_the_form(
    viewer: User, other_responder: User, responder: User, postmortem: Postmortem
) -> None:
    client = Client()
    client.force_login(viewer)
    assert client.get(f"/en/postmortems/{postmortem.pk}/factors/").status_code == 403
    assert client.post(f"/en/postmortems/{postmortem.pk}/factors/", {}).status_code == 403
    secret = incidents.declare_incident(actor=responder, title="Secret", private=True)
    hidden = services.create_retrospective(
        actor=responder, title="", kind="incident", incident=secret
    )
    client.force_login(other_responder)
    assert client.get(f"/en/postmortems/{hidden.pk}/factors/").status_code == 404


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_front_matter_carries_the_factors_and_import_restores_them(
    responder: User, postmortem: Postmortem, tmp_path: Path
) -> None:
    set_factors(postmortem, actor=responder, factors=["monitoring-gap", "vendor quirk"])
    exported = export_file(postmortem)
    front = yaml.safe_load(exported.text.split("---\n")[1])
    assert front["factors"] == ["monitoring-gap", "vendor quirk"]
    assert "factors: [monitoring-gap, vendor quirk]" in exported.text
    ContributingFactor.objects.all().delete()
    path = tmp_path / exported.name
    path.write_text(exported.text, encoding="utf-8")
    [result] = import_paths([path])
    assert result.error is None, result.error
    assert values(postmortem) == ["monitoring-gap", "vendor quirk"]
    assert export_file(postmortem).text == exported.text


def test_a_file_without_factors_clears_them_and_exports_without_the_key(
    responder: User, postmortem: Postmortem, tmp_path: Path
) -> None:
    untagged = export_file(postmortem)
    assert "factors:" not in untagged.text
    set_factors(postmortem, actor=responder, factors=["testing"])
    path = tmp_path / untagged.name
    path.write_text(untagged.text, encoding="utf-8")
    [result] = import_paths([path])
    assert result.error is None, result.error
    assert values(postmortem) == []


def test_a_file_with_a_bad_factor_is_refused_on_its_line(
    responder: User, postmortem: Postmortem, tmp_path: Path
) -> None:
    text = export_file(postmortem).text.replace("tags: []", f"tags: []\nfactors: [{'w' * 60}]")
    path = tmp_path / "bad.md"
    path.write_text(text, encoding="utf-8")
    [result] = import_paths([path])
    assert result.error is not None
    assert "too long" in result.error.message
    assert result.error.line == text.splitlines().index(f"factors: [{'w' * 60}]") + 1
    assert values(postmortem) == []
