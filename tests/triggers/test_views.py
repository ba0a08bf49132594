"""The pages: proposals answered with one click, the overview, and the
policy firings shown on an incident (the include the incident page uses)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.middleware.csrf import get_token
from django.template import engines
from django.test import Client, RequestFactory
from django.utils import translation
from pytest_django import Settings

import hotwash
from hotwash.alerts.models import AlertSource
from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident
from hotwash.triggers.models import Proposal, ProposalStatus
from tests.support import triggers as support
from tests.support.triggers import alert, send

_fresh_claims, source, policy_file = support._fresh_claims, support.source, support.policy_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def csrf_client(responder: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    return client


def csrf_of(client: Client, path: str) -> str:
    html = client.get(path).content.decode()
    marker = 'name="csrfmiddlewaretoken" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_the_proposals_page_answers_with_one_click(
    csrf_client: Client, responder: User, other_responder: User
) -> None:
    incidents.declare_incident(actor=other_responder, title="Exports are empty")
    proposal = Proposal.objects.get()
    page = csrf_client.get("/en/triggers/proposals/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Add detection: Add detection for “Exports are empty”" in html
    assert "Accept: I own it" in html

    # Without the CSRF token: refused, nothing recorded.
    refused = csrf_client.post(f"/en/triggers/proposals/{proposal.pk}/accept/")
    assert refused.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.OPEN

    token = csrf_of(csrf_client, "/en/triggers/proposals/")
    response = csrf_client.post(
        f"/en/triggers/proposals/{proposal.pk}/accept/",
        {"csrfmiddlewaretoken": token, "next": "/en/triggers/proposals/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/en/triggers/proposals/"
    html = response.content.decode()
    assert "is yours." in html
    assert "Recently answered" in html
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (ProposalStatus.ACCEPTED, responder)
    assert AuditRecord.objects.filter(action="proposal.accepted", actor=responder).exists()


def test_dismissing_on_the_page(csrf_client: Client, other_responder: User) -> None:
    incidents.declare_incident(actor=other_responder, title="Exports are empty")
    proposal = Proposal.objects.get()
    token = csrf_of(csrf_client, "/fr/triggers/proposals/")
    response = csrf_client.post(
        f"/fr/triggers/proposals/{proposal.pk}/dismiss/",
        {"csrfmiddlewaretoken": token, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/fr/triggers/proposals/"  # never off-site
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DISMISSED
    # A second answer is refused with a message, not an error page.
    again = csrf_client.post(
        f"/fr/triggers/proposals/{proposal.pk}/accept/",
        {"csrfmiddlewaretoken": token},
        follow=True,
    )
    assert "a déjà rejeté cette proposition" in again.content.decode()


def test_accepting_a_declare_proposal_opens_the_incident_page(
    csrf_client: Client, responder: User, policy_file: Callable[[str], Path]
) -> None:
    from hotwash.triggers.services import record_change

    record_change(actor=responder, service="shop", kind="rollback")
    proposal = Proposal.objects.get()
    token = csrf_of(csrf_client, "/en/triggers/proposals/")
    response = csrf_client.post(
        f"/en/triggers/proposals/{proposal.pk}/accept/", {"csrfmiddlewaretoken": token}
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/en/incidents/{incident.ref}/"


def test_viewers_cannot_see_or_answer_proposals(viewer: User, responder: User) -> None:
    incidents.declare_incident(actor=responder, title="Exports are empty")
    proposal = Proposal.objects.get()
    client = Client()
    client.force_login(viewer)
    assert client.get("/en/triggers/proposals/").status_code == 403
    assert client.post(f"/en/triggers/proposals/{proposal.pk}/accept/").status_code == 403
    assert client.get(f"/en/triggers/proposals/{proposal.pk}/accept/").status_code == 405
    assert Client().get("/en/triggers/proposals/").status_code == 302  # to the login page


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_overview_lists_policies_heartbeats_and_firings(
    responder_client: Client, source: AlertSource, language: str
) -> None:
    send(source, alert(service="shop", severity="critical"))
    response = responder_client.get(f"/{language}/triggers/")
    assert response.status_code == 200
    html = response.content.decode()
    for policy_id in ("downtime-critical", "data-loss", "detection-gap", "Watchdog"):
        assert policy_id in html
    assert Incident.objects.get().ref in html


@pytest.mark.parametrize(
    ("language", "shipped", "generated"),
    [
        (
            "en",
            "A critical alert opens an incident at once.",
            "An alert with severity=warning still firing after 30 min.",
        ),
        (
            "fr",
            "Une alerte critique ouvre un incident immédiatement.",
            "Une alerte avec severity=warning encore active après 30 min.",
        ),
    ],
)
def test_the_overview_gives_policy_descriptions_in_the_readers_language(
    responder_client: Client,
    policy_file: Callable[[str], Path],
    language: str,
    shipped: str,
    generated: str,
) -> None:
    """Shipped descriptions are translated; a shipped policy the file changed
    gets one generated from its fields; the organisation's own words stay."""
    policy_file(
        "policies:\n"
        "  - {id: degradation, firing_for: 30m}\n"
        "  - {id: shop-down, trigger: downtime, match: {service: shop},"
        " description: Le shop est en panne.}\n"
    )
    html = responder_client.get(f"/{language}/triggers/").content.decode()
    assert shipped in html
    assert generated in html
    assert "Le shop est en panne." in html
    assert "15 minutes" not in html
    if language == "fr":
        assert "A critical alert" not in html
        assert "A warning still firing" not in html


# --- the incident page's include ---------------------------------------------------

PAGE = (
    '{% extends "base.html" %}{% load triggers_tags %}'
    "{% block content %}{% policy_firings incident %}{% endblock %}"
)


def render_for(user: User, incident: Incident, language: str = "en") -> str:
    request = RequestFactory().get(f"/{language}/incidents/{incident.ref}/")
    request.user = user
    with translation.override(language):
        request.LANGUAGE_CODE = language
        get_token(request)
        return engines["django"].from_string(PAGE).render({"incident": incident}, request)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_incident_shows_its_firings_and_open_proposals(
    responder: User, other_responder: User, language: str
) -> None:
    incident = incidents.declare_incident(actor=other_responder, title="Exports are empty")
    html = render_for(responder, incident, language)
    assert 'id="trigger-firings"' in html
    assert "detection-gap" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'value="/{language}/incidents/{incident.ref}/#trigger-firings"' in html


def test_the_include_is_empty_without_firings_and_flags_full_postmortems(
    responder: User, source: AlertSource, viewer: User
) -> None:
    quiet = incidents.declare_incident(actor=None, title="Quiet")
    assert 'id="trigger-firings"' not in render_for(responder, quiet)

    send(source, alert("OrdersLost", service="shop", category="data-loss"))
    loud = Incident.objects.exclude(pk=quiet.pk).get()
    incidents.add_participant(loud, actor=None, user=viewer)
    html = render_for(viewer, loud)
    assert "requires a full postmortem" in html
    assert "The alert it saw" in html
    assert "Accept" not in html  # viewers read, they do not answer


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Opened by the trigger policy <strong>shop-down</strong>."),
        ("fr", "Ouvert par la politique de déclenchement <strong>shop-down</strong>."),
    ],
)
def test_the_incident_names_the_policy_that_opened_it(
    responder: User,
    source: AlertSource,
    policy_file: Callable[[str], Path],
    language: str,
    expected: str,
) -> None:
    policy_file(
        "policies:\n  - id: shop-down\n    trigger: downtime\n"
        "    match: {service: shop, severity: critical}\n"
        "    description: The shop is down for everyone.\n"
    )
    send(source, alert(service="shop", severity="critical"))
    html = render_for(responder, Incident.objects.get(), language)
    assert expected in html
    assert "The shop is down for everyone." in html


INCLUDE_LINE = "{% load triggers_tags %}{% policy_firings incident %}"


@pytest.fixture
def incident_page_with_firings(tmp_path: Path, settings: Settings) -> None:
    """The incident page with the one line the lead adds to detail.html
    (already there once added; inserted into a copy until then)."""
    source = Path(hotwash.__file__).parent / "incidents" / "templates" / "incidents" / "detail.html"
    html = source.read_text(encoding="utf-8")
    if "policy_firings" not in html:
        html = html.replace("</article>", f"  {INCLUDE_LINE}\n</article>", 1)
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "detail.html").write_text(html, encoding="utf-8")
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_incident_page_shows_firings_and_answers_proposals(
    incident_page_with_firings: None, csrf_client: Client, other_responder: User, language: str
) -> None:
    incident = incidents.declare_incident(actor=other_responder, title="Exports are empty")
    path = f"/{language}/incidents/{incident.ref}/"
    html = csrf_client.get(path).content.decode()
    assert 'data-live-region="trigger-firings"' in html
    assert "detection-gap" in html
    proposal = Proposal.objects.get()
    token = csrf_of(csrf_client, path)
    response = csrf_client.post(
        f"/{language}/triggers/proposals/{proposal.pk}/accept/",
        {"csrfmiddlewaretoken": token, "next": f"{path}#trigger-firings"},
    )
    assert response["Location"] == f"{path}#trigger-firings"
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
