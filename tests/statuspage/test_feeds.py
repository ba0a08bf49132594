"""Atom feeds (RFC 4287) of the public updates: structure, language,
per-service feeds, and never a private incident's or an internal update."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from hotwash.incidents.models import Service
from hotwash.incidents.services import update_incident
from hotwash.statuspage.pages import render_and_store
from tests.statuspage.status_helpers import incident, public_service, publish
from tests.support import atom

pytestmark = pytest.mark.django_db

NS = {"atom": "http://www.w3.org/2005/Atom"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def feed(path: str) -> ET.Element:
    render_and_store()
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    return root


def texts(root: ET.Element) -> list[str]:
    return [entry.findtext("atom:content", "", NS) for entry in root.findall("atom:entry", NS)]


def assert_rfc4287(root: ET.Element) -> None:
    """The elements RFC 4287 requires (4.1.1, 4.1.2) and those we promise."""
    assert atom.problems(ET.tostring(root)) == []
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"atom:{name}", NS)) == 1, name
    datetime.fromisoformat(root.findtext("atom:updated", "", NS))
    assert root.find("atom:author/atom:name", NS) is not None
    self_links = [link for link in root.findall("atom:link", NS) if link.get("rel") == "self"]
    assert len(self_links) == 1
    ids = set()
    for entry in root.findall("atom:entry", NS):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"atom:{name}", NS)) == 1, name
        datetime.fromisoformat(entry.findtext("atom:updated", "", NS))
        link = entry.find("atom:link", NS)
        assert link is not None and link.get("href", "").startswith(settings.SITE_URL)
        content = entry.find("atom:content", NS)
        assert content is not None and content.get("type") == "text"
        ids.add(entry.findtext("atom:id", "", NS))
    assert len(ids) == len(root.findall("atom:entry", NS))


@pytest.fixture
def checkout(db: None) -> Service:
    return public_service("checkout", "Online checkout")


def test_an_empty_feed_is_valid(checkout: Service) -> None:
    root = feed("/en/status/feed.atom")
    assert_rfc4287(root)
    assert texts(root) == []


def test_the_feed_has_the_public_updates_in_its_language(
    responder: User, checkout: Service
) -> None:
    inc = incident(responder, "Checkout errors", ["checkout"])
    publish(inc, "Internal detail", "Détail interne", audience="internal")
    publish(inc, "Payments are failing.", "Des paiements échouent.")
    publish(inc, "Fixed.", "Réglé.", status="resolved")
    english = feed("/en/status/feed.atom")
    assert_rfc4287(english)
    assert english.get(XML_LANG) == "en"
    assert texts(english) == ["Fixed.", "Payments are failing."]
    titles = [e.findtext("atom:title", "", NS) for e in english.findall("atom:entry", NS)]
    assert titles == ["Online checkout: Resolved", "Online checkout: Investigating"]
    french = feed("/fr/status/feed.atom")
    assert_rfc4287(french)
    assert french.get(XML_LANG) == "fr"
    assert texts(french) == ["Réglé.", "Des paiements échouent."]
    # The incident's internal title is never in a feed.
    assert b"Checkout errors" not in Client().get("/en/status/feed.atom").content


def test_a_service_feed_has_only_that_services_updates(responder: User, checkout: Service) -> None:
    public_service("search")
    publish(incident(responder, "A", ["checkout"]), "Checkout is down.")
    publish(incident(responder, "B", ["search"]), "Search is slow.")
    root = feed("/en/status/online-checkout/feed.atom")
    assert_rfc4287(root)
    assert texts(root) == ["Checkout is down."]
    assert texts(feed("/en/status/search/feed.atom")) == ["Search is slow."]
    assert sorted(texts(feed("/en/status/feed.atom"))) == ["Checkout is down.", "Search is slow."]
    # The page links to each feed.
    html = Client().get("/en/status/").content.decode()
    assert 'href="/en/status/online-checkout/feed.atom"' in html


def test_no_feed_for_an_unknown_or_non_public_service(checkout: Service) -> None:
    Service.objects.create(name="ledger-db", public=False)
    render_and_store()
    assert Client().get("/en/status/ledger-db/feed.atom").status_code == 404
    assert Client().get("/en/status/nothing-here/feed.atom").status_code == 404


def test_a_private_incident_is_never_in_a_feed(responder: User, checkout: Service) -> None:
    hidden = incident(responder, "Breach", ["checkout"], private=True)
    publish(hidden, "Security matter.")
    shown = incident(responder, "Errors", ["checkout"])
    publish(shown, "Payments are failing.")
    for path in ("/en/status/feed.atom", "/en/status/online-checkout/feed.atom"):
        assert texts(feed(path)) == ["Payments are failing."]
    update_incident(shown, actor=responder, changes={"private": True})
    for path in ("/en/status/feed.atom", "/fr/status/feed.atom"):
        assert texts(feed(path)) == []
