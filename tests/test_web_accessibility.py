"""Structural accessibility checks on every page, in both languages.

Not a substitute for testing with a screen reader, but it catches the
mistakes that creep in: an input without a label, a duplicated id, an
aria-describedby pointing at nothing, a table header without a scope.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from django.template.loader import get_template
from django.test import Client
from django.utils import translation

from hotwash.incidents import services

pytestmark = pytest.mark.django_db

CONTROLS = {"input", "select", "textarea"}
# Elements a <p> cannot contain: browsers close the paragraph before them,
# which silently breaks the structure the template meant.
NOT_IN_PARAGRAPH = {
    "form",
    "div",
    "ul",
    "ol",
    "dl",
    "table",
    "section",
    "details",
    "fieldset",
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
}
UNLABELLED_INPUTS = {"hidden", "submit", "button"}


class Page(HTMLParser):
    """Collects what the checks need from one HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.described_by: list[str] = []
        self.table_headers: list[dict[str, str | None]] = []
        self.html_lang: str | None = None
        self.open_labels = 0
        self.buttons_text: list[str] = []
        self._button: list[str] | None = None
        self.paragraphs = 0
        self.misnested: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_for.add(str(attributes["for"]))
        if tag in CONTROLS and attributes.get("type") not in UNLABELLED_INPUTS:
            self.controls.append({**attributes, "wrapped": "yes" if self.open_labels else None})
        for ref in (attributes.get("aria-describedby") or "").split():
            self.described_by.append(ref)
        for ref in (attributes.get("aria-labelledby") or "").split():
            self.described_by.append(ref)
        if tag == "th":
            self.table_headers.append(attributes)
        if tag == "button":
            self._button = []
        if tag in NOT_IN_PARAGRAPH and self.paragraphs:
            self.misnested.append(tag)
        if tag == "p":
            self.paragraphs += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1
        if tag == "p":
            self.paragraphs -= 1
        if tag == "button" and self._button is not None:
            self.buttons_text.append("".join(self._button).strip())
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)


def check(html: str, language: str) -> None:
    page = Page()
    page.feed(html)
    assert page.html_lang == language
    duplicates = [i for i, n in Counter(page.ids).items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    assert "main" in page.ids
    assert 'class="skip-link" href="#main"' in html
    for control in page.controls:
        labelled = (
            control.get("wrapped")
            or control.get("aria-label")
            or control.get("aria-labelledby")
            or control.get("id") in page.label_for
        )
        assert labelled, f"unlabelled control: {control}"
    missing = set(page.described_by) - set(page.ids)
    assert not missing, f"aria references to nothing: {missing}"
    for header in page.table_headers:
        assert header.get("scope") in ("col", "row"), f"th without scope: {header}"
    assert all(page.buttons_text), "a button without text"
    assert not page.misnested, f"inside a <p>: {page.misnested}"


@pytest.fixture
def pages(responder: Any, other_responder: Any) -> list[str]:
    incident = services.declare_incident(
        actor=responder, title="Shop down", severity=2, services=["shop"], private=True
    )
    services.assign_role(incident, actor=responder, role="commander", user=responder)
    services.assign_role(incident, actor=responder, role="commander", user=other_responder)
    event = services.add_timeline_event(incident, actor=responder, body="Pods restarted")
    services.edit_timeline_event(event, actor=responder, body="Pods restarted twice")
    services.add_task(incident, actor=responder, title="Check lag", assignee=other_responder)
    ref = incident.ref
    return [
        "/",
        "/incidents/",
        "/incidents/?status=open&severity=2",
        f"/incidents/{ref}/",
        f"/incidents/{ref}/catchup/",
        f"/incidents/{ref}/timeline/{event.pk}/edit/",
        "/accounts/preferences/",
    ]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_pages_are_structurally_accessible(
    responder_client: Client, pages: list[str], language: str
) -> None:
    for path in pages:
        response = responder_client.get(f"/{language}{path}")
        assert response.status_code == 200, path
        check(response.content.decode(), language)


def test_pages_with_errors_are_structurally_accessible(
    responder_client: Client, pages: list[str]
) -> None:
    ref = pages[3].split("/")[2]
    for path, data in [
        ("/", {"title": "", "severity": "9"}),
        (f"/incidents/{ref}/timeline/", {"body": "", "occurred_at": "soon"}),
        (f"/incidents/{ref}/details/", {"declared_at": "", "initial-declared_at": "x"}),
        (f"/incidents/{ref}/roles/assign/", {"role": "scribe", "user": "ghost"}),
        ("/accounts/preferences/", {"timezone": "Nowhere", "language": "en"}),
    ]:
        response = responder_client.post(f"/en{path}", data)
        assert response.status_code == 422, path
        html = response.content.decode()
        check(html, "en")
        assert 'class="error-summary" role="alert"' in html
    check(responder_client.get("/en/incidents/?since=soon").content.decode(), "en")


def test_the_sign_in_and_not_found_pages_are_accessible(responder: Any) -> None:
    check(Client().get("/fr/accounts/login/").content.decode(), "fr")
    check(
        Client().post("/en/accounts/login/", {"username": "x", "password": "y"}).content.decode(),
        "en",
    )
    client = Client()
    client.force_login(responder)
    response = client.get("/en/incidents/INC-99999/")
    assert response.status_code == 404
    check(response.content.decode(), "en")


def test_the_viewer_pages_are_accessible(viewer: Any, responder: Any) -> None:
    incident = services.declare_incident(actor=responder, title="Shop down")
    client = Client()
    client.force_login(viewer)
    for path in ("/en/", f"/en/incidents/{incident.ref}/"):
        check(client.get(path).content.decode(), "en")


def test_the_server_error_page_stands_alone() -> None:
    with translation.override("fr"):
        html = get_template("500.html").render()
    assert '<html lang="fr">' in html
    assert 'href="/static/hotwash/app.css"' in html
