"""The review page (side by side, add, undo, confirm) and the public pages,
which show the confirmed public version in the reader's language."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.postmortems import services as postmortems
from hotwash.postmortems.models import Postmortem
from hotwash.sharing.models import PublicVersion
from tests.sharing.conftest import SECRETS, approve, write
from tests.support.sharing import share_publicly


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(postmortem: Postmortem, rest: str = "", language: str = "en") -> str:
    return f"/{language}/postmortems/{postmortem.pk}/public-version/{rest}"


def test_the_author_reviews_side_by_side_and_confirms(
    published: Postmortem, responder: User
) -> None:
    client = _client(responder)
    page = client.get(_url(published)).content.decode()
    assert "No public version has been published." in page
    assert client.post(_url(published, "prepare/")).status_code == 302
    page = client.get(_url(published)).content.decode()
    # Each replacement highlighted on both sides, named for screen readers.
    assert '<mark class="pv-original">Amira</mark>' in page
    assert '<mark class="pv-public">a responder</mark>' in page
    assert "(replacing “Amira”)" in page
    # The French title is missing: confirming names it and publishes nothing.
    refused = client.post(_url(published, "confirm/"), {"confirmed": "on"})
    assert refused.status_code == 409
    assert "The title in French." in refused.content.decode()
    assert (
        client.post(_url(published, "title/"), {"language": "fr", "title": "Paiement"}).status_code
        == 302
    )
    unticked = client.post(_url(published, "confirm/"), {})
    assert unticked.status_code == 422
    assert client.post(_url(published, "confirm/"), {"confirmed": "on"}).status_code == 302
    published.refresh_from_db()
    assert published.public
    page = client.get(_url(published)).content.decode()
    assert "Published public version: confirmed by amira" in page


def test_adding_and_undoing_from_the_page(published: Postmortem, responder: User) -> None:
    client = _client(responder)
    client.post(_url(published, "prepare/"))
    assert (
        client.post(
            _url(published, "replacements/"), {"text": "Checkout", "kind": "host"}
        ).status_code
        == 302
    )
    assert "(replacing “Checkout”)" in client.get(_url(published)).content.decode()
    assert (
        client.post(_url(published, "replacements/undo/"), {"original": "Amira"}).status_code == 302
    )
    draft = PublicVersion.objects.get()
    assert draft.kept == ["Amira"]
    missing = client.post(_url(published, "replacements/"), {"text": "Zeus", "kind": "person"})
    assert missing.status_code == 422
    assert "“Zeus” does not appear in the postmortem." in missing.content.decode()


def test_the_page_is_in_french_too(published: Postmortem, responder: User) -> None:
    client = _client(responder)
    client.post(_url(published, "prepare/", "fr"))
    page = client.get(_url(published, language="fr")).content.decode()
    assert "Côte à côte : le brouillon" in page
    assert "une personne intervenante" in page


def test_only_who_may_change_the_postmortem(
    published: Postmortem, viewer: User, make_postmortem: object, responder: User
) -> None:
    assert _client(viewer).get(_url(published)).status_code == 403
    assert _client(viewer).post(_url(published, "prepare/")).status_code == 403
    assert Client().get(_url(published)).status_code == 302  # to sign in
    assert not PublicVersion.objects.exists()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_public_page_shows_the_public_version_and_nothing_it_replaced(
    published: Postmortem, responder: User, language: str
) -> None:
    share_publicly(published, responder, other_title="Le paiement a échoué pour Amira")
    index = Client().get(f"/{language}/postmortems/public/").content.decode()
    response = Client().get(f"/{language}/postmortems/public/{published.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    if language == "fr":
        assert "Le paiement a échoué pour une personne intervenante" in html + index
        assert "une personne intervenante a redémarré un service interne" in html
        assert 'href="/en/postmortems/public/' in html  # the same postmortem, in English
    else:
        assert "Checkout failed for a responder" in index
        assert "a responder restarted an internal service" in html
        assert 'href="/fr/postmortems/public/' in html
    assert [secret for secret in SECRETS if secret in html + index] == []
    assert "img-src 'self'" in response["Content-Security-Policy"]
    assert "data:" not in response["Content-Security-Policy"].split("img-src")[1].split(";")[0]


def test_the_public_page_keeps_the_confirmed_text_until_a_new_one_is_confirmed(
    published: Postmortem, responder: User
) -> None:
    share_publicly(published, responder)
    postmortem = postmortems.transition(published, actor=responder, action="reopen")
    write(postmortem, responder, "en", "A new text, never reviewed.")

    approve(postmortem, responder)
    html = Client().get(f"/en/postmortems/public/{published.pk}/").content.decode()
    assert "a responder restarted" in html and "never reviewed" not in html
    page = _client(responder).get(_url(published)).content.decode()
    assert "Out of date:" in page


def test_shared_without_a_confirmed_version_it_is_not_shown(
    published: Postmortem, responder: User
) -> None:
    # A flag set by other means (an import, an older installation).
    Postmortem.objects.filter(pk=published.pk).update(public=True)
    assert Client().get(f"/en/postmortems/public/{published.pk}/").status_code == 404
    assert published.title not in Client().get("/en/postmortems/public/").content.decode()


def test_images_from_elsewhere_are_links_on_the_public_page(
    make_postmortem: object, responder: User
) -> None:
    postmortem = make_postmortem(publish=False)  # type: ignore[operator]
    postmortem = postmortems.transition(postmortem, actor=responder, action="reopen")
    write(postmortem, responder, "en", "See ![graph](https://cdn.example.org/p.png).")
    write(postmortem, responder, "fr", "Voir ![graphe](https://cdn.example.org/p.png).")

    approve(postmortem, responder)
    share_publicly(postmortem, responder)
    html = Client().get(f"/en/postmortems/public/{postmortem.pk}/").content.decode()
    assert 'src="https://cdn.example.org' not in html
    assert 'href="https://cdn.example.org/p.png"' in html
