"""The alert pages and the admin's source creation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_user
from hotwash.alerts.auth import source_for_token
from hotwash.alerts.ingest import IncomingAlert, ingest
from hotwash.alerts.models import AlertGroup, AlertSource
from hotwash.alerts.services import create_source
from hotwash.incidents import services as incidents

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 26, 3, 12, tzinfo=UTC)


@pytest.fixture
def group(db: None) -> AlertGroup:
    source, _token = create_source(name="prometheus", kind="alertmanager")
    ingest(
        source,
        [
            IncomingAlert(
                fingerprint="f1",
                status="firing",
                labels={"alertname": "ShopDown", "service": "shop", "instance": "shop-1"},
                annotations={
                    "summary": "Shop front unreachable",
                    "runbook_url": "https://runbooks.example/shop",
                },
                starts_at=T0,
                generator_url="http://prometheus.example:9090/graph?g0.expr=up",
                group_key='{}:{alertname="ShopDown"}',
                group_labels={"alertname": "ShopDown", "service": "shop"},
            ),
            IncomingAlert(
                fingerprint="f2",
                status="resolved",
                labels={"alertname": "ShopDown", "service": "shop", "instance": "shop-2"},
                starts_at=T0,
                ends_at=T0,
                generator_url="javascript:alert(1)",
                group_key='{}:{alertname="ShopDown"}',
            ),
        ],
        now=T0,
    )
    return AlertGroup.objects.get()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_pages_show_groups_alerts_and_links_back(
    responder_client: Client, group: AlertGroup, language: str
) -> None:
    listing = responder_client.get(f"/{language}/alerts/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "ShopDown" in html and "prometheus" in html and "service=</span>shop" in html
    assert f"/{language}/alerts/groups/{group.pk}/" in html
    detail = responder_client.get(f"/{language}/alerts/groups/{group.pk}/")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "Shop front unreachable" in html
    assert 'href="http://prometheus.example:9090/graph?g0.expr=up"' in html
    assert 'href="https://runbooks.example/shop"' in html
    assert "javascript:" not in html  # a link back only to web addresses
    assert "instance=</span>shop-2" in html


def test_the_list_filters_by_status_and_source(responder_client: Client, group: AlertGroup) -> None:
    assert "ShopDown" in responder_client.get("/en/alerts/?status=firing").content.decode()
    assert "ShopDown" not in responder_client.get("/en/alerts/?status=resolved").content.decode()
    other, _token = create_source(name="other", kind="generic")
    page = responder_client.get(f"/en/alerts/?source={other.pk}").content.decode()
    assert "No alert groups match" in page


def test_the_pages_need_a_signed_in_person(group: AlertGroup) -> None:
    assert Client().get("/en/alerts/").status_code == 302
    assert Client().get(f"/en/alerts/groups/{group.pk}/").status_code == 302


def test_an_unknown_group_is_a_404(responder_client: Client) -> None:
    assert responder_client.get("/en/alerts/groups/999999/").status_code == 404


def test_a_private_incident_is_named_only_to_those_who_may_see_it(
    responder: User, group: AlertGroup
) -> None:
    incident = incidents.declare_incident(actor=responder, title="Shop down", private=True)
    AlertGroup.objects.filter(pk=group.pk).update(incident=incident)
    mine = Client()
    mine.force_login(responder)
    outsider = Client()
    outsider.force_login(create_user("nadia", password="correct horse 42"))
    for path in ("/en/alerts/", f"/en/alerts/groups/{group.pk}/"):
        assert incident.ref in mine.get(path).content.decode()
        assert incident.ref not in outsider.get(path).content.decode()


def test_the_admin_creates_a_source_and_shows_its_token_once(admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        "/en/admin/alerts/alertsource/add/",
        {
            "name": "prod-alertmanager",
            "kind": "alertmanager",
            "enabled": "on",
            "group_by": '["alertname", "service"]',
            "allowed_topic_arns": "[]",
        },
    )
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    token = html.split("<code>hwa_", 1)[1].split("</code>", 1)[0]
    source = AlertSource.objects.get()
    assert source_for_token("hwa_" + token) == source
    assert (
        "hwa_" + token
        not in client.get(f"/en/admin/alerts/alertsource/{source.pk}/change/").content.decode()
    )
    replaced = client.post(
        "/en/admin/alerts/alertsource/",
        {"action": "replace_tokens", "_selected_action": [source.pk]},
    )
    assert replaced.status_code == 200
    assert "<code>hwa_" in replaced.content.decode()
    assert source_for_token("hwa_" + token) is None
