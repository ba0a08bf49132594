"""POST /api/v1/redact and /api/v1/postmortems/{ref}/public-version: reading,
preparing, titling, confirming."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hotwash.accounts.services import create_api_token
from hotwash.incidents.services import update_incident
from hotwash.postmortems.models import Postmortem
from hotwash.sharing.models import PublicVersion
from tests.support.sharing import share_publicly


def _post(client: Client, body: Any, headers: dict[str, str] | None = None) -> Any:
    return client.post(
        "/api/v1/redact", data=json.dumps(body), content_type="application/json", headers=headers
    )


def test_it_redacts_with_offsets_into_the_text_sent(api: Client, responder: User) -> None:
    text = "At 03:20 Amira saw 10.0.0.1 and v2.3.1 on db-1.corp.example."
    response = _post(api, {"text": text, "language": "en"})
    assert response.status_code == 200
    body = response.json()
    assert (
        body["text"]
        == "At 03:20 a responder saw [address removed] and v2.3.1 on an internal service."
    )
    assert [(r["kind"], r["original"]) for r in body["replacements"]] == [
        ("person", "Amira"),
        ("address", "10.0.0.1"),
        ("host", "db-1.corp.example"),
    ]
    for item in body["replacements"]:
        assert text[item["start"] : item["end"]] == item["original"]


def test_the_placeholders_follow_the_language(api: Client, responder: User) -> None:
    body = _post(api, {"text": "Amira, fe80::1", "language": "fr"}).json()
    assert body["text"] == "Une personne intervenante, [adresse retirée]"
    accepted = _post(api, {"text": "Amira"}, {"Accept-Language": "fr"}).json()
    assert accepted["text"] == "Une personne intervenante"


@pytest.mark.parametrize(
    "body",
    [
        {"language": "en"},
        {"text": 3, "language": "en"},
        {"text": "x", "language": "de"},
        {"text": "x", "language": "en", "extra": 1},
        {"text": "x" * (1024 * 1024 + 1), "language": "en"},
    ],
)
def test_bad_input_is_422(api: Client, body: Any, settings: Any) -> None:
    settings.MAX_BODY_BYTES = 4 * 1024 * 1024
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
    response = _post(api, body)
    assert response.status_code == 422
    assert "message" in response.json()


def test_it_needs_a_signed_in_caller(db: None) -> None:
    assert _post(Client(), {"text": "Amira"}).status_code == 401


def test_a_body_over_the_limit_is_413(api: Client) -> None:
    assert _post(api, {"text": "x" * (1024 * 1024 + 10)}).status_code == 413


def test_reading_a_public_version(published: Postmortem, responder: User, viewer: User) -> None:
    share_publicly(published, responder)
    editor = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(responder, name='t')}")
    body = editor.get(f"/api/v1/postmortems/{published.ref}/public-version").json()
    assert body["postmortem"] == published.ref and body["draft"] is None
    texts = {(t["key"], t["language"]): t for t in body["published"]["texts"]}
    assert texts[("summary", "en")]["original"].startswith("At 03:20 Amira")
    assert "Amira" not in texts[("summary", "en")]["text"]
    assert body["published"]["confirmed_by"] == "amira" and body["published"]["stale"] is False


def test_private_again_it_is_not_found(make_postmortem: Any, responder: User, viewer: User) -> None:
    postmortem = make_postmortem()
    share_publicly(postmortem, responder)
    reader = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(viewer, name='t')}")
    body = reader.get(f"/api/v1/postmortems/{postmortem.ref}/public-version").json()
    assert body["published"] is not None and body["draft"] is None
    update_incident(postmortem.incident, actor=responder, changes={"private": True})
    assert reader.get(f"/api/v1/postmortems/{postmortem.ref}/public-version").status_code == 404


def _editor(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user, name='t')}")


def _send(client: Client, method: str, path: str, body: Any = None) -> Any:
    call = getattr(client, method)
    return call(path, data=json.dumps(body or {}), content_type="application/json")


def test_preparing_titling_and_confirming_through_the_api(
    published: Postmortem, responder: User, viewer: User
) -> None:
    editor = _editor(responder)
    base = f"/api/v1/postmortems/{published.ref}/public-version"
    assert _send(_editor(viewer), "post", base).status_code == 403
    prepared = _send(editor, "post", base)
    assert prepared.status_code == 201
    body = prepared.json()
    assert body["published"] is None and body["draft"]["confirmed_at"] is None
    assert body["missing"] == ["The title in French."]
    # Not yet: each problem is listed after the message.
    refused = _send(editor, "post", f"{base}/confirm", {"confirmed": True})
    assert refused.status_code == 409
    assert [e["message"] for e in refused.json()["errors"]][1:] == ["The title in French."]
    assert _send(editor, "post", f"{base}/confirm", {"confirmed": False}).status_code == 422
    titled = _send(editor, "put", f"{base}/title", {"language": "fr", "title": "Échec du paiement"})
    assert titled.status_code == 200 and titled.json()["missing"] == []
    bad = _send(editor, "put", f"{base}/title", {"language": "de", "title": "Zahlung"})
    assert bad.status_code == 422 and bad.json()["field"] == "language"
    confirmed = _send(editor, "post", f"{base}/confirm", {"confirmed": True})
    assert confirmed.status_code == 200
    version = confirmed.json()["published"]
    assert version["confirmed_by"] == "amira" and confirmed.json()["draft"] is None
    public = {(t["key"], t["language"]): t["text"] for t in version["texts"]}
    assert public[("_title", "fr")] == "Échec du paiement"
    assert "Amira" not in public[("summary", "en")]
    published.refresh_from_db()
    assert published.public
    # What readers outside see is that version, without sign-in.
    page = Client().get(f"/en/postmortems/public/{published.pk}/")
    assert page.status_code == 200 and "Amira" not in page.content.decode()


def test_a_private_incidents_postmortem_gets_no_public_version(
    make_postmortem: Any, responder: User
) -> None:
    postmortem = make_postmortem(private=True)
    answer = _send(
        _editor(responder), "post", f"/api/v1/postmortems/{postmortem.ref}/public-version"
    )
    assert answer.status_code == 422
    assert not PublicVersion.objects.filter(postmortem=postmortem).exists()
