"""The staff feed of published postmortems (/<lang>/postmortems/feed.atom),
its personal feed tokens, and the "what we learned" page: valid Atom (RFC
4287), in the reader's language, and never a private incident's postmortem
for someone who cannot see the incident."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token
from hotwash.actions.services import create_action_item, set_status
from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.postmortems import services
from hotwash.postmortems.models import Kind, Postmortem
from hotwash.postmortems.services import CHECKLIST_KEYS
from tests.support import atom
from tests.support.sharing import share_publicly

pytestmark = pytest.mark.django_db

NS = {"atom": "http://www.w3.org/2005/Atom"}
SECRET_TITLE = "Payroll export left on a partner share"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _publish(postmortem: Postmortem, actor: User) -> Postmortem:
    services.set_reviewers(postmortem, actor=actor, usernames=[actor.username])
    for key in CHECKLIST_KEYS:
        services.set_checklist_item(postmortem, actor=actor, key=key, checked=True)
    for action in ("request_review", "approve", "publish"):
        postmortem = services.transition(postmortem, actor=actor, action=action)
    return postmortem


def _write(postmortem: Postmortem, actor: User, key: str, language: str, body: str) -> None:
    services.save_section(
        postmortem, actor=actor, key=key, language=language, body=body, base_version=0
    )


def _postmortem(actor: User, title: str, *, private: bool = False) -> Postmortem:
    incident = incidents.declare_incident(actor=actor, title=title, severity=3, private=private)
    return services.create_retrospective(
        actor=actor, title="", kind=Kind.INCIDENT, incident=incident
    )


@pytest.fixture
def published(responder: User) -> Postmortem:
    postmortem = _postmortem(responder, "Checkout latency above SLO")
    _write(postmortem, responder, "summary", "en", "Checkout was slow for 40 minutes.")
    _write(postmortem, responder, "summary", "fr", "Le paiement a été lent 40 minutes.")
    _write(postmortem, responder, "lessons", "en", "- Canary every config change\n- Alert on p99")
    done = create_action_item(
        actor=responder, title="Canary", owner=responder, postmortem=postmortem
    )
    create_action_item(actor=responder, title="p99 alert", owner=responder, postmortem=postmortem)
    set_status(done, actor=responder, status="done")
    return _publish(postmortem, responder)


@pytest.fixture
def private_published(responder: User) -> Postmortem:
    postmortem = _postmortem(responder, SECRET_TITLE, private=True)
    _write(postmortem, responder, "summary", "en", "Salaries were readable by a partner.")
    return _publish(postmortem, responder)


def _entries(body: bytes) -> list[ET.Element]:
    assert atom.problems(body) == []
    return ET.fromstring(body).findall("atom:entry", NS)


def test_the_feed_lists_published_postmortems_in_the_reader_s_language(
    published: Postmortem, responder: User
) -> None:
    draft = _postmortem(responder, "Still being written")
    assert draft.status == "draft"
    client = _client(responder)

    english = client.get("/en/postmortems/feed.atom")
    french = client.get("/fr/postmortems/feed.atom")

    assert english["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert english["Cache-Control"] == "private, no-cache"
    [entry] = _entries(english.content)
    assert entry.findtext("atom:title", "", NS) == f"{published.ref}: {published.title}"
    assert "Checkout was slow" in entry.findtext("atom:content", "", NS)
    assert "Canary every config change" in entry.findtext("atom:content", "", NS)
    link = entry.find("atom:link", NS)
    assert link is not None and link.get("href", "").endswith(f"/en/postmortems/{published.pk}/")
    [entry] = _entries(french.content)
    content = entry.findtext("atom:content", "", NS)
    # The French summary; the lessons are written in English only.
    assert "Le paiement a été lent" in content and "Canary every config change" in content
    assert ET.fromstring(french.content).get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"


def test_a_private_incident_s_postmortem_is_only_in_its_readers_feeds(
    published: Postmortem, private_published: Postmortem, responder: User, viewer: User
) -> None:
    mine = _client(responder).get("/en/postmortems/feed.atom")
    theirs = _client(viewer).get("/en/postmortems/feed.atom")

    assert len(_entries(mine.content)) == 2
    assert len(_entries(theirs.content)) == 1
    assert SECRET_TITLE not in theirs.content.decode()
    page = _client(viewer).get("/en/postmortems/learned/")
    assert SECRET_TITLE not in page.content.decode()
    assert published.title in page.content.decode()


def test_a_feed_reader_reads_it_with_a_feed_token_that_only_reads_feeds(
    published: Postmortem, private_published: Postmortem, viewer: User
) -> None:
    anonymous = Client()
    assert anonymous.get("/en/postmortems/feed.atom").status_code == 401

    page = _client(viewer).post("/en/postmortems/feed-token/", {"action": "create"})
    assert page.context["tokenised_feed_url"] in page.content.decode()
    token = page.context["tokenised_feed_url"].split("?token=")[1]

    answer = anonymous.get(f"/en/postmortems/feed.atom?token={token}")
    assert answer.status_code == 200
    assert len(_entries(answer.content)) == 1  # the viewer's visibility
    assert SECRET_TITLE not in answer.content.decode()
    # It opens nothing else: not the API, not a page.
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/incidents")
    assert api.status_code == 401
    # And an API token is not a feed token.
    api_token = create_api_token(viewer, name="tests")
    assert anonymous.get(f"/en/postmortems/feed.atom?token={api_token}").status_code == 403
    assert AuditRecord.objects.filter(action="feed_token.created", actor=viewer).exists()

    _client(viewer).post("/en/postmortems/feed-token/", {"action": "revoke"})
    refused = anonymous.get(f"/en/postmortems/feed.atom?token={token}")
    assert refused.status_code == 403
    assert "not valid" in refused.content.decode()


def test_a_new_feed_token_replaces_the_old_one(published: Postmortem, viewer: User) -> None:
    client = _client(viewer)
    first = client.post("/en/postmortems/feed-token/", {"action": "create"}).context[
        "tokenised_feed_url"
    ]
    second = client.post("/en/postmortems/feed-token/", {"action": "create"}).context[
        "tokenised_feed_url"
    ]

    assert first != second
    assert Client().get(first).status_code == 403
    assert Client().get(second).status_code == 200


def test_what_we_learned_shows_lessons_and_how_the_action_items_are_going(
    published: Postmortem, responder: User
) -> None:
    page = _client(responder).get("/en/postmortems/learned/")
    text = page.content.decode()

    assert page.status_code == 200
    assert "Canary every config change" in text and "Alert on p99" in text
    assert "Action items done: 1 of 2" in text
    assert 'type="application/atom+xml"' in text
    french = _client(responder).get("/fr/postmortems/learned/").content.decode()
    assert "Ce que nous avons appris" in french
    assert "Actions terminées : 1 sur 2" in french


def test_what_we_learned_needs_signing_in() -> None:
    answer = Client().get("/en/postmortems/learned/")
    assert answer.status_code == 302


def test_the_public_feed_has_only_confirmed_public_versions_never_the_original(
    responder: User, private_published: Postmortem
) -> None:
    shared = _postmortem(responder, "Checkout latency above SLO")
    _write(shared, responder, "summary", "en", "Amira Haddad restarted db-1 at 10.0.0.7.")
    _write(shared, responder, "summary", "fr", "Amira Haddad a redémarré db-1 (10.0.0.7).")
    shared = _publish(shared, responder)
    share_publicly(shared, responder, other_title="Latence du paiement", translate=True)
    not_confirmed = _publish(_postmortem(responder, "Exports are empty"), responder)
    Postmortem.objects.filter(pk=not_confirmed.pk).update(public=True)
    anonymous = Client()

    english = anonymous.get("/en/postmortems/public/feed.atom")
    french = anonymous.get("/fr/postmortems/public/feed.atom")

    assert english.status_code == 200
    assert english["Content-Type"] == "application/atom+xml; charset=utf-8"
    [entry] = _entries(english.content)
    content = entry.findtext("atom:content", "", NS)
    assert "Amira" not in english.content.decode() and "10.0.0.7" not in content
    assert "restarted db-1" in content
    link = entry.find("atom:link", NS)
    assert link is not None and link.get("href", "").endswith(
        f"/en/postmortems/public/{shared.pk}/"
    )
    assert entry.find("atom:author", NS) is None  # nobody named, not even the owner
    [entry] = _entries(french.content)
    assert entry.findtext("atom:title", "", NS) == "Latence du paiement"
    assert "a redémarré db-1" in entry.findtext("atom:content", "", NS)
    for body in (english.content.decode(), french.content.decode()):
        assert "Exports are empty" not in body and SECRET_TITLE not in body
    # Editing the original never changes what the feed says.
    shared_page = anonymous.get(f"/en/postmortems/public/{shared.pk}/").content.decode()
    assert (
        'type="application/atom+xml"' in anonymous.get("/en/postmortems/public/").content.decode()
    )
    assert "Amira" not in shared_page
