"""Incident types and their custom fields: validation per kind, presets
and overrides, changing them, listing and filtering, the web forms, near
misses, the postmortem template and a policy file's own types."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from pytest_django import Settings

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_user
from hotwash.core.errors import InvalidInput
from hotwash.core.models import AuditRecord
from hotwash.incidents import services
from hotwash.incidents.display import describe_event
from hotwash.incidents.fields import InvalidFields, clean_value, display_value
from hotwash.incidents.models import Incident, TimelineKind
from hotwash.policies import CustomFieldDefinition, load_policies
from hotwash.postmortems.models import Postmortem

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents"
BREACH_FIELDS = {"personal_information": "Names and e-mail addresses", "people_affected": 120}


def post(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def patch(client: Client, url: str, data: Any) -> Any:
    return client.patch(url, data, content_type="application/json")


def definition(kind: str, **extra: Any) -> CustomFieldDefinition:
    return CustomFieldDefinition.model_validate(
        {"key": "thing", "name": {"en": "Thing", "fr": "Chose"}, "kind": kind, **extra}
    )


def breach(actor: User, **extra: Any) -> Incident:
    return services.declare_incident(
        actor=actor, title="Export sent to the wrong customer", type="privacy-breach",
        fields={**BREACH_FIELDS, **extra.pop("fields", {})}, **extra,
    )  # fmt: skip


# --- validation of each kind -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [(120, 120), ("120", 120), ("2.5", 2.5), (2.5, 2.5), (3.0, 3), (" 7 ", 7), ("", None)],
)
def test_a_number_is_an_integer_or_a_decimal(raw: object, cleaned: object) -> None:
    assert clean_value(definition("number"), raw) == cleaned


@pytest.mark.parametrize("raw", [True, False, "NaN", float("nan"), float("inf"), "12 people", []])
def test_a_number_refuses_what_is_not_one(raw: object) -> None:
    with pytest.raises(InvalidInput):
        clean_value(definition("number"), raw)


def test_a_choice_is_one_of_its_keys() -> None:
    field = definition(
        "choice",
        choices=[
            {"key": "low", "name": {"en": "Low", "fr": "Faible"}},
            {"key": "high", "name": {"en": "High", "fr": "Élevé"}},
        ],
    )
    assert clean_value(field, "High") == "high"
    with pytest.raises(InvalidInput, match="use one of low, high"):
        clean_value(field, "medium")
    with translation.override("fr"):
        assert display_value(field, "high") == "Élevé"


def test_a_date_is_iso_and_in_range() -> None:
    field = definition("date")
    assert clean_value(field, "2026-12-24") == "2026-12-24"
    for bad in ("24/12/2026", "2026-02-30", "0001-01-01", 20261224):
        with pytest.raises(InvalidInput):
            clean_value(field, bad)
    assert display_value(field, "2026-12-24") == "Dec. 24, 2026"
    with translation.override("fr"):
        assert display_value(field, "2026-12-24") == "24 décembre 2026"


def test_a_person_is_an_active_username(responder: User) -> None:
    field = definition("person")
    assert clean_value(field, "amira") == "amira"
    assert display_value(field, "amira") == "Amira"
    responder.is_active = False
    responder.save()
    with pytest.raises(InvalidInput, match="no active user named amira"):
        clean_value(field, "amira")


def test_yes_no_is_true_or_false() -> None:
    field = definition("yes-no")
    assert [clean_value(field, v) for v in (True, "yes", "true", False, "no", "0")] == [
        True, True, True, False, False, False,
    ]  # fmt: skip
    with pytest.raises(InvalidInput):
        clean_value(field, "maybe")
    with pytest.raises(InvalidInput):
        clean_value(field, 1)
    with translation.override("fr"):
        assert (display_value(field, True), display_value(field, False)) == ("Oui", "Non")


def test_text_is_trimmed_and_limited() -> None:
    field = definition("text")
    assert clean_value(field, "  names  ") == "names"
    with pytest.raises(InvalidInput, match="at most 2000"):
        clean_value(field, "x" * 2001)
    with pytest.raises(InvalidInput):
        clean_value(field, 12)


# --- declaring ---------------------------------------------------------------------


def test_an_incident_is_an_outage_unless_told(responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="Shop down")
    assert (incident.type, incident.fields, incident.severity, incident.private) == (
        "outage", {}, 3, False,
    )  # fmt: skip


def test_a_privacy_breach_presets_severity_and_privacy(responder: User) -> None:
    incident = breach(responder)
    assert (incident.type, incident.severity, incident.private) == ("privacy-breach", 2, True)
    assert incident.fields == BREACH_FIELDS
    audit = AuditRecord.objects.get(action="incident.declared")
    assert audit.changes["type"] == "privacy-breach"
    assert audit.changes["fields"] == BREACH_FIELDS


def test_a_security_incident_is_private_by_default(responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="Odd logins", type="security")
    assert (incident.severity, incident.private) == (2, True)


def test_explicit_severity_and_privacy_win_over_the_type(responder: User) -> None:
    incident = breach(responder, severity=4, private=False)
    assert (incident.severity, incident.private) == (4, False)


def test_a_near_miss_presets_the_lowest_severity(responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="Almost", type="near-miss")
    assert (incident.type, incident.severity, incident.private) == ("near-miss", 4, False)


def test_every_problem_is_listed_and_nothing_is_written(responder: User) -> None:
    with pytest.raises(InvalidFields) as caught:
        services.declare_incident(
            actor=responder,
            title="Breach",
            type="privacy-breach",
            fields={"people_affected": "many", "colour": "red"},
        )
    assert [field for field, _message in caught.value.field_problems] == [
        "fields.people_affected",
        "fields.colour",
        "fields.personal_information",
    ]
    assert Incident.objects.count() == 0


def test_the_api_answers_422_naming_each_field(api: Client) -> None:
    response = post(
        api, URL, {"title": "Breach", "type": "privacy-breach", "fields": {"people_affected": True}}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "fields.people_affected"
    assert [item["field"] for item in body["errors"]] == [
        "fields.people_affected",
        "fields.personal_information",
    ]
    assert "Personal information involved is required" in body["errors"][1]["message"]
    assert Incident.objects.count() == 0


def test_an_unknown_type_is_422_naming_type(api: Client) -> None:
    response = post(api, URL, {"title": "x", "type": "volcano"})
    assert response.status_code == 422
    assert response.json()["field"] == "type"
    assert "outage, security, privacy-breach, near-miss" in response.json()["message"]


def test_fields_of_another_type_are_refused(api: Client) -> None:
    response = post(api, URL, {"title": "x", "fields": {"people_affected": 3}})
    assert response.status_code == 422
    assert response.json()["field"] == "fields.people_affected"
    assert "no custom fields" in response.json()["message"]


def test_the_api_declares_a_privacy_breach(api: Client) -> None:
    response = post(
        api,
        URL,
        {
            "title": "Export sent to the wrong customer",
            "type": "privacy-breach",
            "fields": {**BREACH_FIELDS, "notification_deadline": "2026-12-10"},
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["type"], data["type_name"], data["private"], data["severity"]) == (
        "privacy-breach", "Privacy breach", True, 2,
    )  # fmt: skip
    assert data["fields"] == {**BREACH_FIELDS, "notification_deadline": "2026-12-10"}
    details = {item["key"]: item for item in data["field_details"]}
    assert details["people_affected"]["text"] == "120"
    assert details["notification_deadline"]["text"] == "Dec. 10, 2026"
    assert details["privacy_office_notified"]["value"] is None


def test_the_api_lists_types_in_the_request_language(api: Client) -> None:
    response = api.get("/api/v1/incident-types", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    types = {item["key"]: item for item in response.json()}
    assert list(types) == ["outage", "security", "privacy-breach", "near-miss"]
    assert types["outage"]["default"] is True
    assert types["privacy-breach"]["name"] == "Violation de données personnelles"
    fields = {field["key"]: field for field in types["privacy-breach"]["fields"]}
    assert fields["people_affected"] == {
        "key": "people_affected",
        "name": "Personnes touchées",
        "help": "Votre meilleure estimation ; corrigez-la à mesure que vous en apprenez davantage.",
        "kind": "number",
        "required": True,
        "choices": [],
    }
    assert types["near-miss"]["template"] == "lightweight"
    assert types["security"]["private"] is True


# --- changing type and fields --------------------------------------------------------


def test_patch_changes_a_field_with_a_timeline_entry_in_both_languages(
    api: Client, responder: User
) -> None:
    incident = breach(responder)
    response = patch(api, f"{URL}/{incident.ref}", {"fields": {"people_affected": 1200}})
    assert response.status_code == 200, response.json()
    assert response.json()["fields"]["people_affected"] == 1200
    assert response.json()["version"] == incident.version + 1
    entry = incident.timeline.get(data__field="fields.people_affected")
    assert describe_event(entry) == "People affected changed from 120 to 1,200."
    with translation.override("fr"):
        assert describe_event(entry) == "Personnes touchées : « 120 » devient « 1\xa0200 »."
    audit = AuditRecord.objects.get(action="incident.updated")
    assert audit.changes["fields"]["to"]["people_affected"] == 1200


def test_patch_sets_and_clears_a_field(api: Client, responder: User) -> None:
    incident = breach(responder)
    patch(api, f"{URL}/{incident.ref}", {"fields": {"privacy_office_notified": True}})
    response = patch(api, f"{URL}/{incident.ref}", {"fields": {"privacy_office_notified": None}})
    assert "privacy_office_notified" not in response.json()["fields"]
    texts = [describe_event(e) for e in incident.timeline.filter(kind=TimelineKind.UPDATE)]
    assert texts == [
        "Privacy office notified set to Yes.",
        "Privacy office notified cleared (it was Yes).",
    ]


def test_a_required_field_cannot_be_cleared(api: Client, responder: User) -> None:
    incident = breach(responder)
    response = patch(api, f"{URL}/{incident.ref}", {"fields": {"people_affected": None}})
    assert response.status_code == 422
    assert response.json()["field"] == "fields.people_affected"
    incident.refresh_from_db()
    assert incident.fields == BREACH_FIELDS


def test_changing_type_needs_the_new_types_required_fields(api: Client, responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="Export mix-up")
    response = patch(api, f"{URL}/{incident.ref}", {"type": "privacy-breach"})
    assert response.status_code == 422
    assert {item["field"] for item in response.json()["errors"]} == {
        "fields.personal_information",
        "fields.people_affected",
    }
    response = patch(
        api, f"{URL}/{incident.ref}", {"type": "privacy-breach", "fields": BREACH_FIELDS}
    )
    assert response.status_code == 200
    assert (response.json()["type"], response.json()["fields"]) == ("privacy-breach", BREACH_FIELDS)
    entry = incident.timeline.get(data__field="type")
    assert describe_event(entry) == "Type changed from Service outage to Privacy breach."
    with translation.override("fr"):
        assert (
            describe_event(entry)
            == "Type : « Panne de service » devient « Violation de données personnelles »."
        )


def test_a_new_type_drops_the_old_types_values(api: Client, responder: User) -> None:
    incident = breach(responder)
    response = patch(api, f"{URL}/{incident.ref}", {"type": "security"})
    assert (response.json()["type"], response.json()["fields"]) == ("security", {})
    assert AuditRecord.objects.get(action="incident.updated").changes["fields"] == {
        "from": BREACH_FIELDS,
        "to": {},
    }


def test_a_null_type_is_refused(api: Client, incident: Incident) -> None:
    response = patch(api, f"{URL}/{incident.ref}", {"type": None})
    assert response.status_code == 422
    assert response.json()["field"] == "type"


def test_private_field_values_stay_private(
    api: Client, responder: User, other_responder: User
) -> None:
    incident = breach(responder)
    outsider = Client()
    outsider.force_login(other_responder)
    assert outsider.get(f"{URL}/{incident.ref}").status_code == 404
    listed = outsider.get(URL, {"field": "people_affected:120"}).json()
    assert listed["count"] == 0
    page = outsider.get("/en/incidents/", {"type": "privacy-breach"}).content.decode()
    assert "Names and e-mail addresses" not in page and incident.title not in page


# --- lists and filters -------------------------------------------------------------


@pytest.fixture
def mixed(responder: User) -> Iterator[dict[str, Incident]]:
    yield {
        "outage": services.declare_incident(actor=responder, title="Shop down"),
        "small": breach(responder, fields={"people_affected": 3}),
        "big": breach(responder, fields={"people_affected": 120, "privacy_office_notified": False}),
        "near": services.declare_incident(actor=responder, title="Almost", type="near-miss"),
    }


def refs(response: Any) -> set[str]:
    assert response.status_code == 200, response.json()
    return {item["id"] for item in response.json()["items"]}


def test_the_api_filters_by_type_and_field(api: Client, mixed: dict[str, Incident]) -> None:
    assert refs(api.get(URL, {"type": "privacy-breach,near-miss"})) == {
        mixed[k].ref for k in ("small", "big", "near")
    }
    assert refs(api.get(URL, {"field": "people_affected:120"})) == {mixed["big"].ref}
    assert refs(api.get(URL, {"field": "privacy_office_notified:no"})) == {mixed["big"].ref}
    assert refs(
        api.get(
            URL, {"field": ["people_affected:3", "personal_information:Names and e-mail addresses"]}
        )
    ) == {mixed["small"].ref}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "volcano"}, "type"),
        ({"field": "people_affected"}, "field"),
        ({"field": "colour:red"}, "field"),
        ({"field": "people_affected:many"}, "field"),
    ],
)
def test_a_bad_filter_is_422_naming_it(api: Client, params: dict[str, str], field: str) -> None:
    response = api.get(URL, params)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_the_list_page_shows_and_filters_by_type(
    responder_client: Client, mixed: dict[str, Incident]
) -> None:
    page = responder_client.get("/en/incidents/", {"type": "near-miss"}).content.decode()
    assert "Near miss" in page and mixed["near"].ref in page and mixed["big"].ref not in page
    page = responder_client.get("/en/incidents/", {"field": "people_affected:3"}).content.decode()
    assert mixed["small"].ref in page and mixed["big"].ref not in page
    response = responder_client.get("/en/incidents/", {"field": "nonsense"})
    assert response.status_code == 400
    assert 'id="filter_field_error"' in response.content.decode()


# --- the web forms ---------------------------------------------------------------------


def test_the_declare_form_offers_types_and_their_fields(responder_client: Client) -> None:
    html = responder_client.get("/en/").content.decode()
    assert html.count('name="type"') == 4
    assert "Privacy breach fields" in html
    assert 'name="privacy-breach__people_affected"' in html
    assert "incidents/types.js" in html


def test_a_privacy_breach_declared_without_its_fields_is_refused(
    responder_client: Client,
) -> None:
    response = responder_client.post("/en/", {"title": "Breach", "type": "privacy-breach"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="declare_privacy-breach__personal_information_error"' in html
    assert 'id="declare_privacy-breach__people_affected_error"' in html
    assert Incident.objects.count() == 0


def test_a_privacy_breach_is_declared_from_the_form(responder_client: Client) -> None:
    response = responder_client.post(
        "/en/",
        {
            "title": "Breach",
            "type": "privacy-breach",
            "privacy-breach__personal_information": "Names",
            "privacy-breach__people_affected": "40",
            "privacy-breach__privacy_office_notified": "true",
            # Another type's field, left from changing one's mind: not read.
            "security__whatever": "x",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.type, incident.private, incident.severity) == ("privacy-breach", True, 2)
    assert incident.fields == {
        "personal_information": "Names",
        "people_affected": 40,
        "privacy_office_notified": True,
    }


def test_the_form_declares_an_outage_without_fields(responder_client: Client) -> None:
    response = responder_client.post(
        "/en/", {"title": "Shop down", "privacy-breach__people_affected": "many"}
    )
    assert response.status_code == 302
    assert Incident.objects.get().type == "outage"


def test_the_form_can_make_a_private_type_public(responder_client: Client) -> None:
    responder_client.post("/en/", {"title": "Scan", "type": "security", "private": "off"})
    assert Incident.objects.get().private is False


def test_the_page_shows_type_fields_and_missing_roles(
    responder_client: Client, responder: User
) -> None:
    incident = breach(responder)
    html = responder_client.get(f"/en/incidents/{incident.ref}/").content.decode()
    assert "Privacy breach" in html
    assert "Names and e-mail addresses" in html
    assert "This type needs an incident commander." in html
    assert "This type needs a communications lead." in html
    services.assign_role(incident, actor=responder, role="communications", user=responder)
    html = responder_client.get(f"/en/incidents/{incident.ref}/").content.decode()
    assert "This type needs a communications lead." not in html
    assert 'id="type-form"' in html


def test_responders_change_fields_from_the_page(responder_client: Client, responder: User) -> None:
    incident = breach(responder)
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/type/",
        {
            "version": incident.version,
            "type": "privacy-breach",
            "privacy-breach__personal_information": "Names",
            "privacy-breach__people_affected": "121",
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.fields == {"personal_information": "Names", "people_affected": 121}


def test_a_bad_value_on_the_page_is_shown_on_its_field(
    responder_client: Client, responder: User
) -> None:
    incident = breach(responder)
    response = responder_client.post(
        f"/en/incidents/{incident.ref}/type/",
        {
            "type": "privacy-breach",
            "privacy-breach__personal_information": "Names",
            "privacy-breach__people_affected": "lots",
        },
    )
    assert response.status_code == 422
    assert 'id="type_privacy-breach__people_affected_error"' in response.content.decode()
    incident.refresh_from_db()
    assert incident.fields == BREACH_FIELDS


def test_viewers_cannot_change_the_type(responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="Shop down")
    viewer = create_user("vera", password="correct horse 42", role=Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    response = client.post(f"/en/incidents/{incident.ref}/type/", {"type": "security"})
    assert response.status_code == 403


# --- near misses and postmortems ---------------------------------------------------------


def test_a_near_miss_report_becomes_a_near_miss_incident(responder: User) -> None:
    from hotwash.reports import services as reports

    report = reports.file_report(
        author=responder, kind="near-miss", text="The deploy almost ran.", anonymous=False
    )
    admin = create_user("ada", password="correct horse 42", role=Role.ADMIN)
    incident = reports.convert_to_incident(report, actor=admin).incident
    assert incident is not None
    assert (incident.type, incident.severity) == ("near-miss", 4)


def test_resolving_drafts_the_types_postmortem_template(responder: User) -> None:
    incident = services.declare_incident(
        actor=responder, title="Almost", type="near-miss", severity=2
    )
    services.set_status(incident, actor=responder, status="resolved")
    assert Postmortem.objects.get(incident=incident).template == "lightweight"


def test_other_types_keep_the_severitys_template(responder: User) -> None:
    incident = services.declare_incident(actor=responder, title="Down", severity=2)
    services.set_status(incident, actor=responder, status="resolved")
    assert Postmortem.objects.get(incident=incident).template == "default"


# --- the policy file ---------------------------------------------------------------------

POLICY = """
incident_types:
  data-loss:
    name: {en: "Data loss", fr: "Perte de données"}
    default_severity: 1
    roles: [commander, operations]
    fields:
      - key: rows_lost
        name: {en: "Rows lost", fr: "Lignes perdues"}
        kind: number
        required: true
      - key: backup
        name: {en: "Backup", fr: "Sauvegarde"}
        kind: choice
        choices:
          - {key: nightly, name: {en: "Nightly", fr: "Nocturne"}}
          - {key: none, name: {en: "None", fr: "Aucune"}}
      - key: owner
        name: {en: "Data owner", fr: "Propriétaire des données"}
        kind: person
default_incident_type: data-loss
"""


@pytest.fixture
def own_types(settings: Settings, tmp_path: Path) -> Iterator[None]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    settings.POLICY_FILE = str(policy)
    load_policies.cache_clear()
    yield
    load_policies.cache_clear()


@pytest.mark.usefixtures("own_types")
def test_a_policy_file_defines_its_own_types(api: Client, responder: User) -> None:
    types = api.get("/api/v1/incident-types").json()
    assert [item["key"] for item in types] == ["data-loss"]
    response = post(api, URL, {"title": "Table dropped"})
    assert response.status_code == 422
    assert response.json()["field"] == "fields.rows_lost"
    response = post(
        api,
        URL,
        {
            "title": "Table dropped",
            "fields": {"rows_lost": "5000", "backup": "nightly", "owner": "amira"},
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["type"], data["severity"]) == ("data-loss", 1)
    texts = {item["key"]: item["text"] for item in data["field_details"]}
    assert texts == {"rows_lost": "5,000", "backup": "Nightly", "owner": "Amira"}
    assert refs(api.get(URL, {"field": "backup:nightly"})) == {data["id"]}
    assert post(api, URL, {"title": "x", "type": "outage"}).json()["field"] == "type"
