"""Similar incidents: earlier incidents like this one that the reader may
see, with their postmortem's key lessons; on the incident page and in the
postmortem editor."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.incidents.linking import merge_incidents
from hotwash.incidents.models import Incident
from hotwash.incidents.services import declare_incident
from hotwash.search.similar import similar_incidents
from tests.search.helpers import alert_group, postmortem_for, write_section

pytestmark = pytest.mark.django_db


def similar(user: User, incident: Incident) -> list[str]:
    return [item.incident.ref for item in similar_incidents(user, incident)]


def test_words_services_and_alerts_make_incidents_alike(responder: User) -> None:
    words = declare_incident(actor=responder, title="Checkout payments failing")
    service = declare_incident(actor=responder, title="Slow pages", services=["checkout"])
    alerts = declare_incident(actor=responder, title="Queue backlog")
    alert_group(alerts, {"alertname": "PaymentErrors"}, key="a")
    declare_incident(actor=responder, title="Printer jammed")
    now = declare_incident(actor=responder, title="Payments failing again", services=["checkout"])
    alert_group(now, {"alertname": "PaymentErrors"}, key="b")

    found = similar(responder, now)

    assert found[0] == words.ref
    assert set(found) == {words.ref, service.ref, alerts.ref}
    by_ref = {item.incident.ref: item for item in similar_incidents(responder, now)}
    assert by_ref[service.ref].shared_services == ["checkout"]


def test_alert_names_in_common_count(responder: User) -> None:
    words = declare_incident(actor=responder, title="Replica lagging")
    same_alert = declare_incident(actor=responder, title="Replica lagging")
    alert_group(same_alert, {"alertname": "ReplicaLag"}, key="a")
    now = declare_incident(actor=responder, title="Replica lagging")
    alert_group(now, {"alertname": "ReplicaLag"}, key="b")

    assert similar(responder, now) == [same_alert.ref, words.ref]


def test_only_earlier_ones_never_itself_nor_its_duplicates(responder: User) -> None:
    earlier = declare_incident(actor=responder, title="DNS resolution failing")
    duplicate = declare_incident(actor=responder, title="DNS resolution failing")
    survivor = declare_incident(actor=responder, title="DNS resolution failing")
    merge_incidents(duplicate, actor=responder, into=survivor)
    later = declare_incident(actor=responder, title="DNS resolution failing")

    assert similar(responder, survivor) == [earlier.ref]
    assert later.ref not in similar(responder, earlier)
    assert duplicate.ref not in similar(responder, later)


def test_at_most_five(responder: User) -> None:
    for _ in range(7):
        declare_incident(actor=responder, title="Certificate expired")
    now = declare_incident(actor=responder, title="Certificate expired")

    assert len(similar(responder, now)) == 5


def test_private_ones_only_for_who_may_see_them(
    responder: User, other_responder: User, admin_user: User
) -> None:
    private = declare_incident(actor=responder, title="Payroll export leaked", private=True)
    now = declare_incident(actor=other_responder, title="Payroll export leaked again")

    assert similar(other_responder, now) == []
    assert similar(admin_user, now) == [private.ref]


def test_each_comes_with_its_key_lessons_in_the_reader_language(responder: User) -> None:
    earlier = declare_incident(actor=responder, title="Certificate expired on the gateway")
    postmortem = postmortem_for(earlier, responder)
    write_section(
        postmortem, responder, "lessons", "en", "- Monitor expiry dates\n- Automate renewal"
    )
    write_section(postmortem, responder, "lessons", "fr", "- Surveiller les dates d'expiration")
    now = declare_incident(actor=responder, title="Certificate expired again")

    [item] = similar_incidents(responder, now)
    assert item.postmortem == postmortem
    assert item.lessons == ["Monitor expiry dates", "Automate renewal"]

    client = Client()
    client.force_login(responder)
    page = client.get(f"/en/incidents/{now.ref}/").content.decode()
    assert "Has this happened before?" in page
    assert "Monitor expiry dates" in page and earlier.ref in page
    french = client.get(f"/fr/incidents/{now.ref}/").content.decode()
    assert "Surveiller les dates d" in french
    editor = client.get(f"/fr/postmortems/{postmortem_for(now, responder).pk}/edit/")
    assert "Surveiller les dates d" in editor.content.decode()
