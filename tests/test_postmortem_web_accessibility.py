"""Structural accessibility checks on every postmortem page, in both
languages, with the same checks as the incident pages (labels, ids, aria
references, table headers, headings in order)."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from django.test import Client

from hotwash.incidents import services as incidents
from hotwash.postmortems import services
from hotwash.postmortems.models import Kind
from hotwash.postmortems.services import CHECKLIST_KEYS
from tests.test_web_accessibility import check

pytestmark = pytest.mark.django_db


def headings_in_order(html: str) -> None:
    """No heading level is skipped on the way down (h2 then h4)."""
    # The error summary (base.html) sits above the page's h1, by design.
    html = html.replace('<h2 id="error-summary-title">', "")
    levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", html)]
    assert levels and levels[0] == 1, levels
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"h{before} followed by h{after}: {levels}"


@pytest.fixture
def setup(responder: Any, other_responder: Any) -> dict[str, Any]:
    incident = incidents.declare_incident(
        actor=responder, title="Shop down", severity=2, services=["shop"], summary="Down."
    )
    incidents.assign_role(incident, actor=responder, role="commander", user=responder)
    incidents.add_timeline_event(incident, actor=responder, body="Restarted", key_moment=True)
    postmortem = services.create_retrospective(
        actor=responder, title="", kind=Kind.INCIDENT, incident=incident
    )
    services.save_section(
        postmortem, actor=responder, key="trigger", language="en",
        body="Sam should have checked. It was human error.", base_version=0,
    )  # fmt: skip
    services.add_comment(postmortem, actor=responder, body="Numbers?", section="impact")
    services.add_comment(postmortem, actor=responder, body="Looks good.")
    services.set_reviewers(postmortem, actor=responder, usernames=["sam"])
    services.transition(postmortem, actor=responder, action="request_review")
    retro = services.create_retrospective(actor=responder, title="Black Friday", kind="success")
    return {"postmortem": postmortem, "retro": retro, "incident": incident}


def _pages(setup: dict[str, Any]) -> list[str]:
    pk = setup["postmortem"].pk
    return [
        "/postmortems/",
        "/postmortems/?status=draft&overdue=on&mine=on",
        "/postmortems/new/",
        f"/postmortems/new/?incident={incidents.declare_incident(actor=None, title='x').ref}",
        f"/postmortems/{pk}/",
        f"/postmortems/{pk}/?lang=fr&timeline=full",
        f"/postmortems/{pk}/edit/",
        f"/postmortems/{pk}/edit/?lang=fr",
        f"/postmortems/{pk}/details/",
        f"/postmortems/{setup['retro'].pk}/",
        f"/postmortems/{setup['retro'].pk}/edit/",
        "/postmortems/public/",
    ]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_pages_are_structurally_accessible(
    responder_client: Client, setup: dict[str, Any], language: str
) -> None:
    for path in _pages(setup):
        response = responder_client.get(f"/{language}{path}")
        assert response.status_code == 200, path
        html = response.content.decode()
        check(html, language)
        headings_in_order(html)


def test_the_reviewers_page_is_accessible(other_responder: Any, setup: dict[str, Any]) -> None:
    client = Client()
    client.force_login(other_responder)
    html = client.get(f"/en/postmortems/{setup['postmortem'].pk}/").content.decode()
    assert "Your review" in html
    check(html, "en")
    headings_in_order(html)


def test_pages_with_errors_are_accessible(
    responder_client: Client, other_responder: Any, setup: dict[str, Any]
) -> None:
    postmortem = setup["postmortem"]
    base = f"/en/postmortems/{postmortem.pk}"
    sam = Client()
    sam.force_login(other_responder)
    for client, path, data, status in [
        (responder_client, "/postmortems/new/", {"kind": "success", "title": ""}, 422),
        (responder_client, f"{base}/details/".removeprefix("/en"), {"title": ""}, 422),
        (responder_client, f"{base}/comments/".removeprefix("/en"), {"body": ""}, 422),
        (sam, f"{base}/status/".removeprefix("/en"), {"action": "approve"}, 409),
        (sam, f"{base}/decision/".removeprefix("/en"), {"decision": "changes_requested"}, 422),
        (
            responder_client,
            f"{base}/edit/summary/".removeprefix("/en"),
            {"body": "Mine", "base_version": "7", "language": "en"},
            409,
        ),
    ]:
        response = client.post(f"/en{path}", data)
        assert response.status_code == status, path
        html = response.content.decode()
        check(html, "en")
        headings_in_order(html)
        assert 'role="alert"' in html, path


def test_the_public_page_is_accessible(responder: Any, setup: dict[str, Any]) -> None:
    postmortem = setup["postmortem"]
    services.update_postmortem(postmortem, actor=responder, changes={"public": True})
    services.set_reviewers(postmortem, actor=responder, usernames=["amira"])
    for key in CHECKLIST_KEYS:
        services.set_checklist_item(postmortem, actor=responder, key=key, checked=True)
    services.transition(postmortem, actor=responder, action="approve")
    services.transition(postmortem, actor=responder, action="publish")
    for language in ("en", "fr"):
        for path in ("/postmortems/public/", f"/postmortems/public/{postmortem.pk}/"):
            html = Client().get(f"/{language}{path}").content.decode()
            check(html, language)
            headings_in_order(html)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_incident_panel_fits_the_incident_page(
    responder_client: Client, responder: Any, setup: dict[str, Any], language: str
) -> None:
    """The incident page includes the panel; its markup keeps that page
    valid (no id used twice, labels, headings)."""
    for incident in (setup["incident"], incidents.declare_incident(actor=responder, title="y")):
        response = responder_client.get(f"/{language}/incidents/{incident.ref}/")
        html = response.content.decode()
        assert 'id="postmortem"' in html
        check(html, language)
