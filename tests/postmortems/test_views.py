"""Postmortem pages: list, new, the postmortem page, the editor (saving,
conflicts, preview), the review flow through the forms, public sharing,
and the include for the incident page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.postmortems import services
from hotwash.postmortems.models import Kind, Postmortem, Section, Status
from hotwash.postmortems.outlines import get_outline
from hotwash.postmortems.services import CHECKLIST_KEYS
from tests.support.sharing import share_publicly

pytestmark = pytest.mark.django_db


def _postmortem(actor: User, *, private: bool = False, **kwargs: Any) -> Postmortem:
    incident = incidents.declare_incident(
        actor=actor,
        title="Checkout fails",
        severity=2,
        summary="Payments time out.",
        services=["shop"],
        private=private,
    )
    incidents.assign_role(incident, actor=actor, role="commander", user=actor)
    incidents.add_timeline_event(incident, actor=actor, body="Rolled back", key_moment=True)
    return services.create_retrospective(
        actor=actor, title="", kind=Kind.INCIDENT, incident=incident, **kwargs
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _edit_url(postmortem: Postmortem, key: str) -> str:
    return f"/en/postmortems/{postmortem.pk}/edit/{key}/"


# --- list and new -------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_list_shows_what_the_viewer_may_read(
    responder_client: Client, responder: User, other_responder: User, language: str
) -> None:
    mine = _postmortem(responder)
    hidden = _postmortem(other_responder, private=True)
    retro = services.create_retrospective(actor=responder, title="Black Friday went well")
    html = responder_client.get(f"/{language}/postmortems/").content.decode()
    assert mine.ref in html and retro.title in html
    assert hidden.ref not in html
    assert f'<html lang="{language}">' in html


def test_the_list_filters(responder_client: Client, responder: User) -> None:
    late = _postmortem(responder)
    Postmortem.objects.filter(pk=late.pk).update(
        required=True, due_on=date.today() - timedelta(days=2)
    )
    retro = services.create_retrospective(actor=responder, title="Data centre move", kind="project")
    html = responder_client.get("/en/postmortems/?overdue=on").content.decode()
    assert late.ref in html and retro.ref not in html
    assert 'class="overdue"' in html
    assert "1/15" in html  # the summary, prefilled in English
    html = responder_client.get("/en/postmortems/?kind=project").content.decode()
    assert retro.ref in html and late.ref not in html
    html = responder_client.get("/en/postmortems/?status=published").content.decode()
    assert late.ref not in html
    html = responder_client.get("/en/postmortems/?owner=amira&mine=on").content.decode()
    assert late.ref in html and retro.ref in html


def test_a_responder_creates_a_retrospective(responder_client: Client, responder: User) -> None:
    response = responder_client.post(
        "/en/postmortems/new/",
        {
            "kind": "success",
            "title": "Black Friday",
            "services": "shop, payments",
            "language": "fr",
        },
    )
    postmortem = Postmortem.objects.get(title="Black Friday")
    assert response.status_code == 302
    assert response["Location"] == f"/en/postmortems/{postmortem.pk}/edit/"
    assert postmortem.kind == Kind.SUCCESS and postmortem.original_language == "fr"
    assert sorted(postmortem.services.values_list("name", flat=True)) == ["payments", "shop"]


def test_a_retrospective_without_title_shows_the_error(responder_client: Client) -> None:
    response = responder_client.post("/en/postmortems/new/", {"kind": "success", "title": ""})
    assert response.status_code == 422
    assert 'class="error-summary"' in response.content.decode()
    assert not Postmortem.objects.exists()


def test_start_postmortem_for_an_incident(responder_client: Client, responder: User) -> None:
    incident = incidents.declare_incident(actor=responder, title="Near miss", severity=4)
    url = f"/en/postmortems/new/?incident={incident.ref}"
    page = responder_client.get(url)
    assert page.status_code == 200
    assert "Start postmortem" in page.content.decode()
    response = responder_client.post(
        "/en/postmortems/new/", {"incident": incident.ref, "template": "default"}
    )
    postmortem = Postmortem.objects.get(incident=incident)
    assert response["Location"] == f"/en/postmortems/{postmortem.pk}/edit/"
    assert postmortem.template == "default"
    # Once it exists, the same address leads to it.
    again = responder_client.get(url)
    assert again["Location"] == f"/en/postmortems/{postmortem.pk}/"


def test_viewers_cannot_start_one(viewer: User, responder: User) -> None:
    incident = incidents.declare_incident(actor=responder, title="Near miss", severity=4)
    client = _client(viewer)
    assert client.get(f"/en/postmortems/new/?incident={incident.ref}").status_code == 403
    assert client.post("/en/postmortems/new/", {"title": "x"}).status_code == 403


# --- the postmortem page ---------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_page_shows_facts_sections_and_durations(
    responder_client: Client, responder: User, language: str
) -> None:
    postmortem = _postmortem(responder)
    response = responder_client.get(f"/{language}/postmortems/{postmortem.pk}/?lang=en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Payments time out." in html  # the summary, prefilled
    assert "Rolled back" in html  # a key moment, with its source
    assert re.search(r'href="/[a-z]{2}/incidents/INC-\d+/#event-\d+"', html)
    assert ("Time to detect" if language == "en" else "Temps de détection") in html
    assert "Amira" in html  # commander


def test_the_full_timeline_on_demand(responder_client: Client, responder: User) -> None:
    postmortem = _postmortem(responder)
    assert postmortem.incident is not None
    incidents.add_timeline_event(postmortem.incident, actor=responder, body="Looked at graphs")
    url = f"/en/postmortems/{postmortem.pk}/"
    assert "Looked at graphs" not in responder_client.get(url).content.decode()
    assert "Looked at graphs" in responder_client.get(f"{url}?timeline=full").content.decode()


def test_the_language_switch_shows_both_versions(responder_client: Client, responder: User) -> None:
    postmortem = _postmortem(responder)
    services.save_section(
        postmortem, actor=responder, key="summary", language="fr", body="Les paiements.",
        base_version=0,
    )  # fmt: skip
    html = responder_client.get(f"/en/postmortems/{postmortem.pk}/?lang=fr").content.decode()
    assert "Les paiements." in html and "Payments time out." not in html
    assert 'href="?lang=en"' in html and "Original" in html
    assert "1 of 15 sections written" in html
    # Translating: the other version is at hand, in the page and the editor.
    services.save_section(
        postmortem, actor=responder, key="trigger", language="en", body="A config change.",
        base_version=0,
    )  # fmt: skip
    html = responder_client.get(f"/en/postmortems/{postmortem.pk}/?lang=fr").content.decode()
    assert 'href="?lang=en#section-trigger"' in html and "A config change." not in html
    editor = responder_client.get(f"/fr/postmortems/{postmortem.pk}/edit/?lang=fr")
    html = editor.content.decode()
    assert "La version anglaise, pour référence" in html and "A config change." in html


def test_a_private_incidents_postmortem_is_404_for_others(
    responder: User, other_responder: User
) -> None:
    postmortem = _postmortem(responder, private=True)
    client = _client(other_responder)
    for path in ("", "edit/", "details/"):
        assert client.get(f"/en/postmortems/{postmortem.pk}/{path}").status_code == 404, path
    assert client.post(_edit_url(postmortem, "summary"), {"body": "x"}).status_code == 404
    assert client.post(f"/en/postmortems/{postmortem.pk}/status/", {}).status_code == 404
    assert client.post(f"/en/postmortems/{postmortem.pk}/preview/", {}).status_code == 404
    assert postmortem.incident is not None
    start = f"/en/postmortems/new/?incident={postmortem.incident.ref}"
    assert client.get(start).status_code == 404
    assert postmortem.ref not in client.get("/en/postmortems/").content.decode()


def test_signing_in_is_required(responder: User) -> None:
    postmortem = _postmortem(responder)
    response = Client().get(f"/en/postmortems/{postmortem.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_viewers_read_but_cannot_edit(viewer: User, responder: User) -> None:
    postmortem = _postmortem(responder)
    client = _client(viewer)
    html = client.get(f"/en/postmortems/{postmortem.pk}/").content.decode()
    assert "Edit the text" not in html
    assert client.get(f"/en/postmortems/{postmortem.pk}/edit/").status_code == 403
    response = client.post(
        _edit_url(postmortem, "summary"), {"body": "x", "base_version": "1", "language": "en"}
    )
    assert response.status_code == 403


# --- the editor ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_editor_renders(responder_client: Client, responder: User, language: str) -> None:
    postmortem = _postmortem(responder)
    html = responder_client.get(f"/{language}/postmortems/{postmortem.pk}/edit/").content.decode()
    assert 'name="base_version"' in html and "pm-editor-config" in html
    assert "postmortems/editor.js" in html
    assert "why_1" in html  # the five-whys helper of contributing factors


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_editors_contents_number_only_the_main_sections(
    responder_client: Client, responder: User, language: str
) -> None:
    """The numbered list holds the level-2 sections, so they run 1, 2, 3...;
    the level-3 ones (the four kinds of impact) sit unnumbered under theirs."""
    postmortem = _postmortem(responder)
    html = responder_client.get(f"/{language}/postmortems/{postmortem.pk}/edit/").content.decode()
    toc = re.search(r'<nav class="pm-toc".*?</nav>', html, re.S)
    assert toc is not None
    numbered = re.sub(r"<ul>.*?</ul>", "", toc.group(0), flags=re.S)
    sections = get_outline(postmortem.template).sections
    assert re.findall(r'href="#section-(\w+)"', numbered) == [
        s.key for s in sections if s.level == 2 and not s.extra
    ]  # the extra section is listed only when it has text
    assert 'href="#section-impact_end_users"' in toc.group(0)


def test_saving_a_section(responder_client: Client, responder: User) -> None:
    postmortem = _postmortem(responder)
    response = responder_client.post(
        _edit_url(postmortem, "trigger"),
        {"body": "A config change.", "base_version": "0", "language": "en", "intent": "save"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#section-trigger")
    assert Section.objects.get(postmortem=postmortem, key="trigger").body == "A config change."


def test_saving_with_json_for_the_script(responder_client: Client, responder: User) -> None:
    postmortem = _postmortem(responder)
    response = responder_client.post(
        _edit_url(postmortem, "summary"),
        {"body": "New summary.", "base_version": "1", "language": "en"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_the_five_whys_become_a_list(responder_client: Client, responder: User) -> None:
    postmortem = _postmortem(responder)
    responder_client.post(
        _edit_url(postmortem, "contributing_factors"),
        {"body": "Context.", "base_version": "0", "language": "fr", "why_1": "Le cache a expiré",
         "why_2": "Pas d'alerte"},
    )  # fmt: skip
    body = Section.objects.get(postmortem=postmortem, key="contributing_factors").body
    assert body == "Context.\n\n**Cinq pourquoi**\n\n1. Le cache a expiré\n2. Pas d'alerte\n"


def test_a_conflict_shows_both_versions_and_writes_nothing(
    responder_client: Client, responder: User, other_responder: User
) -> None:
    postmortem = _postmortem(responder)
    # Sam saves while Amira is still editing version 1.
    services.save_section(
        postmortem, actor=other_responder, key="summary", language="en",
        body="Sam's summary.", base_version=1,
    )  # fmt: skip
    before = AuditRecord.objects.count()
    response = responder_client.post(
        _edit_url(postmortem, "summary"),
        {"body": "Amira's summary.", "base_version": "1", "language": "en"},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Sam&#x27;s summary." in html and "Amira&#x27;s summary." in html
    assert "sam saved this section while you were editing it" in html
    # The form now starts from Sam's version, so merging and saving works.
    assert 'name="base_version" value="2"' in html
    assert Section.objects.get(postmortem=postmortem, key="summary").body == "Sam's summary."
    assert AuditRecord.objects.count() == before
    json_response = responder_client.post(
        _edit_url(postmortem, "summary"),
        {"body": "Amira's summary.", "base_version": "1", "language": "en"},
        HTTP_ACCEPT="application/json",
    )
    data = json_response.json()
    assert json_response.status_code == 409
    assert data["theirs"] == "Sam's summary." and data["yours"] == "Amira's summary."
    assert data["version"] == 2 and "Sam&#x27;s summary." in data["html"]
    merged = responder_client.post(
        _edit_url(postmortem, "summary"),
        {"body": "Both summaries.", "base_version": "2", "language": "en"},
    )
    assert merged.status_code == 302
    assert Section.objects.get(postmortem=postmortem, key="summary").body == "Both summaries."


def test_preview_escapes_scripts(responder_client: Client, responder: User) -> None:
    postmortem = _postmortem(responder)
    text = "**Bold** <script>alert(1)</script> [x](javascript:alert(1))"
    response = responder_client.post(f"/en/postmortems/{postmortem.pk}/preview/", {"text": text})
    html = response.content.decode()
    assert "<strong>Bold</strong>" in html
    assert "<script>" not in html and 'href="javascript' not in html
    # The no-script preview button renders the same way, and saves nothing.
    response = responder_client.post(
        _edit_url(postmortem, "trigger"),
        {"body": text, "base_version": "0", "language": "en", "intent": "preview"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>Bold</strong>" in page and "<script>alert" not in page
    assert not Section.objects.filter(postmortem=postmortem, key="trigger").exists()


def test_the_page_never_renders_raw_html(responder_client: Client, responder: User) -> None:
    postmortem = _postmortem(responder)
    services.save_section(
        postmortem, actor=responder, key="trigger", language="en",
        body="<img src=x onerror=alert(1)>", base_version=0,
    )  # fmt: skip
    html = responder_client.get(f"/en/postmortems/{postmortem.pk}/").content.decode()
    assert "onerror=alert(1)>" not in html.replace("&lt;img", "")


# --- header --------------------------------------------------------------------------


def test_editing_the_header(
    responder_client: Client, responder: User, other_responder: User
) -> None:
    postmortem = _postmortem(responder)
    url = f"/en/postmortems/{postmortem.pk}/details/"
    assert responder_client.get(url).status_code == 200
    response = responder_client.post(
        url,
        {"title": "Checkout outage", "owner": "sam", "due_on": "2026-12-24", "tags": "db, cache",
         "authors": "sam", "original_language": "en"},
    )  # fmt: skip
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.title == "Checkout outage" and postmortem.owner == other_responder
    assert postmortem.due_on == date(2026, 12, 24) and postmortem.tags == ["db", "cache"]
    assert list(postmortem.authors.all()) == [other_responder]


def test_the_header_form_does_not_share_publicly(responder_client: Client, responder: User) -> None:
    """Sharing publicly is confirming the public version (hotwash.sharing)."""
    postmortem = _postmortem(responder)
    response = responder_client.post(
        f"/en/postmortems/{postmortem.pk}/details/",
        {"title": postmortem.title, "original_language": "en", "public": "on"},
    )
    assert response.status_code == 422
    assert "confirming its public version" in response.content.decode()
    postmortem.refresh_from_db()
    assert not postmortem.public


def test_the_header_form_points_to_the_public_version_instead_of_a_checkbox(
    responder_client: Client, responder: User
) -> None:
    postmortem = _postmortem(responder)
    page = responder_client.get(f"/en/postmortems/{postmortem.pk}/details/").content.decode()
    assert 'name="public"' not in page
    assert f'href="/en/postmortems/{postmortem.pk}/public-version/"' in page
    french = responder_client.get(f"/fr/postmortems/{postmortem.pk}/details/").content.decode()
    assert "Relire la version publique" in french


def test_the_header_form_withdraws_a_postmortem_shared_publicly(
    responder_client: Client, responder: User
) -> None:
    postmortem = _postmortem(responder)
    # Shared publicly the way hotwash.sharing leaves it once confirmed.
    Postmortem.objects.filter(pk=postmortem.pk).update(public=True)
    url = f"/en/postmortems/{postmortem.pk}/details/"
    page = responder_client.get(url).content.decode()
    assert 'name="public"' in page and "checked" in page
    assert "Shared publicly (untick to withdraw)" in page
    # Saving with the box still ticked changes nothing about sharing.
    kept = {"title": "Checkout outage", "original_language": "en", "owner": "amira"}
    assert responder_client.post(url, {**kept, "public": "on"}).status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.public and postmortem.title == "Checkout outage"
    assert responder_client.post(url, kept).status_code == 302
    postmortem.refresh_from_db()
    assert not postmortem.public
    withdrawn = AuditRecord.objects.filter(
        action="postmortem.updated", object_id=str(postmortem.pk)
    )
    assert any(r.changes.get("public") == {"from": True, "to": False} for r in withdrawn)
    assert postmortem.incident is not None
    assert postmortem.incident.timeline.filter(data__event="public_unshared").count() == 1


def test_a_private_incidents_postmortem_cannot_be_public(
    responder_client: Client, responder: User
) -> None:
    postmortem = _postmortem(responder, private=True)
    response = responder_client.post(
        f"/en/postmortems/{postmortem.pk}/details/",
        {"title": postmortem.title, "original_language": "en", "public": "on"},
    )
    assert response.status_code == 422
    assert "cannot be made public" in response.content.decode()


# --- review flow -----------------------------------------------------------------------


def test_the_review_flow_through_the_pages(
    responder_client: Client, responder: User, other_responder: User
) -> None:
    postmortem = _postmortem(responder)
    base = f"/en/postmortems/{postmortem.pk}"
    # Asking for a review without reviewers says why.
    response = responder_client.post(f"{base}/status/", {"action": "request_review"})
    assert response.status_code == 422
    assert "Name at least one reviewer" in response.content.decode()
    assert responder_client.post(f"{base}/reviewers/", {"add": "sam"}).status_code == 302
    assert responder_client.post(f"{base}/status/", {"action": "request_review"}).status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.status == Status.IN_REVIEW

    sam = _client(other_responder)
    page = sam.get(f"{base}/").content.decode()
    assert "Your review" in page and "Blameless-language check" in page
    response = sam.post(f"{base}/decision/", {"decision": "changes_requested"})
    assert response.status_code == 422 and "Say which changes" in response.content.decode()
    sam.post(f"{base}/decision/", {"decision": "changes_requested", "comment": "More on impact."})
    assert "More on impact." in sam.get(f"{base}/").content.decode()

    # The reviewer sees what is still needed before approval.
    assert "Still needed before it can be approved" in sam.get(f"{base}/").content.decode()
    # Approval is refused until the checklist is ticked; the page says which.
    response = sam.post(f"{base}/status/", {"action": "approve"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "Checklist not ticked" in html and 'id="approval-problems"' in html
    sam.post(f"{base}/checklist/", {"items": list(CHECKLIST_KEYS)})
    assert postmortem.checklist.count() == len(CHECKLIST_KEYS)
    assert sam.post(f"{base}/status/", {"action": "approve"}).status_code == 302
    assert responder_client.post(f"{base}/status/", {"action": "publish"}).status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.status == Status.PUBLISHED
    # Published: the editor says to reopen; reopen is offered.
    page = responder_client.get(f"{base}/").content.decode()
    assert 'value="reopen"' in page and "Edit the text" not in page


def _buttons(html: str) -> dict[str, str]:
    """The review panel's status buttons in page order: value -> class."""
    pattern = r'<button type="submit" name="action" value="(\w+)" class="([^"]*)"'
    return dict(re.findall(pattern, html))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_in_review_the_primary_button_is_the_reviewers_not_withdraw(
    responder_client: Client, responder: User, other_responder: User, language: str
) -> None:
    postmortem = _postmortem(responder)
    services.set_reviewers(postmortem, actor=responder, usernames=[other_responder.username])
    services.transition(postmortem, actor=responder, action="request_review")
    base = f"/{language}/postmortems/{postmortem.pk}/"

    author = _buttons(responder_client.get(base).content.decode())
    assert "button--primary" not in author["withdraw"]

    reviewer = _buttons(_client(other_responder).get(base).content.decode())
    assert "button--primary" in reviewer["approve"]
    assert "button--primary" not in reviewer.get("withdraw", "")
    assert next(iter(reviewer)) == "approve"  # the step forward comes first


def test_comments_on_a_section_and_resolving_them(
    responder_client: Client, responder: User, viewer: User
) -> None:
    postmortem = _postmortem(responder)
    base = f"/en/postmortems/{postmortem.pk}"
    viewer_client = _client(viewer)
    # "Comment on this section" preselects the section in the form.
    html = viewer_client.get(f"{base}/?comment=trigger").content.decode()
    assert '<option value="trigger" selected>' in html
    response = viewer_client.post(
        f"{base}/comments/", {"section": "trigger", "body": "Which change?"}
    )
    assert response.status_code == 302
    comment = postmortem.comments.get()
    assert comment.section_key == "trigger"
    # Viewers comment but do not resolve.
    assert viewer_client.post(f"{base}/comments/{comment.pk}/resolve/").status_code == 403
    assert responder_client.post(f"{base}/comments/{comment.pk}/resolve/").status_code == 302
    comment.refresh_from_db()
    assert comment.resolved_at is not None
    assert viewer_client.post(f"{base}/comments/", {"body": ""}).status_code == 422


# --- public pages ------------------------------------------------------------------------


def _published(actor: User, public: bool = True) -> Postmortem:
    postmortem = _postmortem(actor)
    services.set_reviewers(postmortem, actor=actor, usernames=[actor.username])
    for key in CHECKLIST_KEYS:
        services.set_checklist_item(postmortem, actor=actor, key=key, checked=True)
    for action in ("request_review", "approve", "publish"):
        postmortem = services.transition(postmortem, actor=actor, action=action)
    if public:
        share_publicly(postmortem, actor, other_title=postmortem.title, translate=True)
    return postmortem


@pytest.mark.parametrize(("language", "label"), [("en", "Sign in"), ("fr", "Se connecter")])
def test_the_public_pages_link_to_sign_in_for_the_staff_pages(
    responder: User, language: str, label: str
) -> None:
    postmortem = _published(responder)
    login = f"/{language}/accounts/login/?next="
    pages = {
        f"/{language}/postmortems/public/": f"/{language}/postmortems/",
        f"/{language}/postmortems/public/{postmortem.pk}/": (
            f"/{language}/postmortems/{postmortem.pk}/"
        ),
    }
    for public, staff in pages.items():
        html = Client().get(public).content.decode()
        assert f'<a class="site-header__sign-in" href="{login}{staff}">{label}</a>' in html
        # Signed in: no such link; the link itself leads on to the staff page.
        assert "site-header__sign-in" not in _client(responder).get(public).content.decode()
        assert _client(responder).get(login + staff).headers["Location"] == staff


def test_the_sign_in_page_does_not_link_to_itself() -> None:
    html = Client().get("/en/accounts/login/?next=/en/postmortems/").content.decode()
    assert "site-header__sign-in" not in html


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_public_page_needs_no_sign_in_and_names_nobody(responder: User, language: str) -> None:
    postmortem = _published(responder)
    client = Client()
    index = client.get(f"/{language}/postmortems/public/").content.decode()
    assert postmortem.title in index
    response = client.get(f"/{language}/postmortems/public/{postmortem.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Payments time out." in html
    assert "amira" not in html.lower()
    assert "Rolled back" not in html  # timeline entries are about people


def test_unpublished_or_unshared_ones_are_not_public(responder: User) -> None:
    shared_later = services.transition(_published(responder), actor=responder, action="reopen")
    internal = _published(responder, public=False)
    for postmortem in (shared_later, internal):
        assert Client().get(f"/en/postmortems/public/{postmortem.pk}/").status_code == 404


# --- the incident page include --------------------------------------------------------------


def _panel(user: User, incident: Any) -> str:
    request = RequestFactory().get("/en/")
    request.user = user
    template = Template('{% include "postmortems/_incident_panel.html" %}')
    return template.render(Context({"incident": incident, "request": request}))


def test_the_incident_panel(responder: User, viewer: User) -> None:
    incident = incidents.declare_incident(actor=responder, title="Near miss", severity=4)
    html = _panel(responder, incident)
    assert f"/en/postmortems/new/?incident={incident.ref}" in html
    assert "/postmortems/new/" not in _panel(viewer, incident)
    postmortem = services.create_retrospective(
        actor=responder, title="", kind=Kind.INCIDENT, incident=incident
    )
    html = _panel(responder, incident)
    assert f"/en/postmortems/{postmortem.pk}/" in html and "Draft" in html


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_incident_page_includes_the_panel(
    responder_client: Client, responder: User, language: str
) -> None:
    """With a postmortem and without (tests/browser/test_accessibility.py checks
    that the page with it stays valid)."""
    with_one = _postmortem(responder).incident
    assert with_one is not None
    without = incidents.declare_incident(actor=responder, title="y")
    for incident in (with_one, without):
        response = responder_client.get(f"/{language}/incidents/{incident.ref}/")
        assert 'id="postmortem"' in response.content.decode()


def test_a_published_postmortem_is_read_only_in_the_editor(
    responder_client: Client, responder: User
) -> None:
    postmortem = _published(responder, public=False)
    html = responder_client.get(f"/en/postmortems/{postmortem.pk}/edit/").content.decode()
    assert "Reopen it as a draft" in html and "data-section-form" not in html
    response = responder_client.post(
        _edit_url(postmortem, "summary"), {"body": "x", "base_version": "1", "language": "en"}
    )
    assert response.status_code == 409
    assert "reopen it as a draft" in response.content.decode()


# --- the demo data ------------------------------------------------------------------------


def test_every_demo_postmortem_page_renders(admin_user: User) -> None:
    """Realistic data (`hotwash demo`): every page of every postmortem, in
    both languages, for an admin who may see everything."""
    call_command("demo", stdout=StringIO())
    client = _client(admin_user)
    postmortems = list(Postmortem.objects.all())
    assert postmortems
    for language in ("en", "fr"):
        assert client.get(f"/{language}/postmortems/").status_code == 200
        assert client.get(f"/{language}/postmortems/public/").status_code == 200
        for postmortem in postmortems:
            base = f"/{language}/postmortems/{postmortem.pk}"
            for path in (f"{base}/", f"{base}/?timeline=full&lang=fr", f"{base}/edit/"):
                assert client.get(path).status_code == 200, path
            public = client.get(f"/{language}/postmortems/public/{postmortem.pk}/")
            shared = postmortem.public and postmortem.status == Status.PUBLISHED
            assert public.status_code == (200 if shared else 404)


def test_the_list_costs_the_same_queries_for_more_rows(
    responder_client: Client, responder: User
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert responder_client.get("/en/postmortems/").status_code == 200
        return len(queries)

    for n in range(2):
        _postmortem(responder)
        services.create_retrospective(actor=responder, title=f"Retro {n}")
    few = count()
    for n in range(4):
        _postmortem(responder)
        services.create_retrospective(actor=responder, title=f"More {n}")
    assert count() == few


def test_the_script_endpoints_answer_json_errors(responder_client: Client, responder: User) -> None:
    postmortem = _published(responder, public=False)
    response = responder_client.post(
        _edit_url(postmortem, "summary"),
        {"body": "x", "base_version": "1", "language": "en"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 409
    assert "reopen it as a draft" in response.json()["message"]
    preview = responder_client.post(
        f"/en/postmortems/{postmortem.pk}/preview/",
        '{"text": "# Title\\n\\n<b>x</b>"}',
        content_type="application/json",
    )
    assert preview.content.decode() == (
        '<div class="markdown"><h1>Title</h1>\n<p>&lt;b&gt;x&lt;/b&gt;</p>\n</div>'
    )


def test_withdraw_and_reopen(responder_client: Client, responder: User) -> None:
    postmortem = _published(responder, public=False)
    base = f"/en/postmortems/{postmortem.pk}"
    assert responder_client.post(f"{base}/status/", {"action": "reopen"}).status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.status == Status.DRAFT
    responder_client.post(f"{base}/status/", {"action": "request_review"})
    response = responder_client.post(f"{base}/status/", {"action": "withdraw"}, follow=True)
    assert "it is a draft again" in response.content.decode()
    # An action that does not apply says why and changes nothing.
    response = responder_client.post(f"{base}/status/", {"action": "publish"})
    assert response.status_code == 409
    postmortem.refresh_from_db()
    assert postmortem.status == Status.DRAFT


def test_the_review_panel_shows_who_approved_and_who_is_missing(
    responder: User, other_responder: User, admin_user: User
) -> None:
    incident = incidents.declare_incident(actor=responder, title="Shop down", severity=1)
    postmortem = services.create_retrospective(
        actor=responder, title="", kind=Kind.INCIDENT, incident=incident
    )
    services.set_reviewers(postmortem, actor=responder, usernames=["sam", "ada"])
    services.transition(postmortem, actor=responder, action="request_review")
    for key in CHECKLIST_KEYS:
        services.set_checklist_item(postmortem, actor=other_responder, key=key, checked=True)
    sam = _client(other_responder)

    answer = sam.post(f"/en/postmortems/{postmortem.pk}/status/", {"action": "approve"})

    assert answer.status_code == 302
    page = sam.get(answer["Location"]).content.decode()
    assert "Your approval is recorded: 1 of the 2 required." in page
    text = re.sub(r"\s+", " ", page)
    assert "Approvals: 1 of the 2 required." in text
    assert "Approved by: Sam." in text
    assert "Waiting for: ada." in text
    postmortem.refresh_from_db()
    assert postmortem.status == Status.IN_REVIEW
    french = sam.get(f"/fr/postmortems/{postmortem.pk}/").content.decode()
    assert "Approbations : 1 sur les 2 requises." in re.sub(r"\s+", " ", french)
