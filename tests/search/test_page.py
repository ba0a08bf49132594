"""The search page: a plain GET form, ranked results with escaped,
highlighted snippets, filters, pages, in English and French."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.incidents.services import add_timeline_event, declare_incident

pytestmark = pytest.mark.django_db


def test_the_empty_page_is_a_search_form(responder_client: Client) -> None:
    html = responder_client.get("/en/search/").content.decode()

    assert 'role="search"' in html and 'method="get"' in html
    assert '<label for="search_q"' in html and 'type="search"' in html
    assert "result" not in html.split("</form>")[1]


def test_it_shows_ranked_results_with_marked_escaped_snippets(
    responder_client: Client, responder: User
) -> None:
    incident = declare_incident(actor=responder, title="Checkout <img src=x onerror=alert(1)>")
    add_timeline_event(incident, actor=responder, body="<script>x()</script> payments fail")

    html = responder_client.get("/en/search/", {"q": "payment"}).content.decode()

    assert "1 result" in html
    assert f'href="/en/incidents/{incident.ref}/"' in html
    assert "<mark>payments</mark> fail" in html
    assert "<script>x()" not in html and "&lt;script&gt;x()" in html
    assert "<img src=x" not in html


def test_it_is_in_french(responder_client: Client, responder: User) -> None:
    declare_incident(actor=responder, title="Paiements en échec")

    html = responder_client.get("/fr/search/", {"q": "echec"}).content.decode()

    assert "Recherche" in html and "1 résultat" in html
    assert "<mark>échec</mark>" in html
    assert "Mots à chercher" in html


def test_a_bad_filter_is_shown_beside_its_field(responder_client: Client) -> None:
    response = responder_client.get("/en/search/", {"q": "disk", "since": "soon"})

    assert response.status_code == 400
    assert "soon is not a date" in response.content.decode()


def test_filters_and_pages_keep_the_query(responder_client: Client, responder: User) -> None:
    for n in range(21):
        declare_incident(actor=responder, title=f"Disk full {n}")

    first = responder_client.get("/en/search/", {"q": "disk", "kind": "incident"})
    html = first.content.decode()

    assert html.count('class="search-result"') == 20
    assert 'href="?q=disk&amp;kind=incident&amp;page=2"' in html
    second = responder_client.get("/en/search/", {"q": "disk", "kind": "incident", "page": "2"})
    assert second.content.decode().count('class="search-result"') == 1
    assert '<ol class="search-results" start="21">' in second.content.decode()
