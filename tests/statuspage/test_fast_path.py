"""The thin serving layer (statuspage.fast): the stored public page and
feeds served ahead of Django's middleware, with the site's security headers,
a strong ETag and 304s; everything else goes on to Django."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import Settings

from hotwash.incidents.models import Service
from hotwash.statuspage.fast import StoredPages
from hotwash.statuspage.pages import render_and_store, stored
from tests.statuspage.status_helpers import incident, public_service, publish

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "X-Frame-Options",
)


class Django:
    """Stands for the Django application behind the layer: records what
    reaches it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.calls.append(environ["PATH_INFO"])
        start_response("418 I'm a teapot", [("Content-Type", "text/plain")])
        return [b"django"]


class Answer:
    def __init__(self, layer: StoredPages, **environ: Any) -> None:
        env: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/en/status/"}
        env.update(environ)
        setup_testing_defaults(env)
        self.status = ""
        self.headers: dict[str, str] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            self.status = status
            self.headers = dict(headers)

        self.body = b"".join(layer(env, start_response))

    @property
    def code(self) -> int:
        return int(self.status.split()[0])


@pytest.fixture
def django_app() -> Django:
    return Django()


@pytest.fixture
def layer(django_app: Django, db: None) -> StoredPages:
    public_service("checkout", "Online checkout")
    render_and_store()
    return StoredPages(django_app, check_seconds=0)


def test_the_stored_page_is_served_with_the_sites_headers(
    layer: StoredPages, django_app: Django
) -> None:
    answer = Answer(layer)
    assert answer.code == 200
    assert django_app.calls == []
    row = stored("/en/status/")
    assert row is not None
    assert answer.body == bytes(row.body)
    assert answer.headers["ETag"] == row.etag
    assert answer.headers["Cache-Control"] == "public, max-age=1"
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Content-Length"] == str(len(answer.body))
    assert answer.headers["Content-Language"] == "en"
    # The same headers as the page Django serves through its middleware.
    normal = Client().get("/en/status/")
    assert normal.content == answer.body
    for name in SECURITY_HEADERS:
        assert answer.headers[name] == normal[name], name
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_feeds_are_served_too(layer: StoredPages, django_app: Django) -> None:
    for path in ("/en/status/feed.atom", "/fr/status/online-checkout/feed.atom"):
        answer = Answer(layer, PATH_INFO=path)
        assert answer.code == 200
        assert answer.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        assert answer.body.startswith(b"<?xml")
    assert Answer(layer, PATH_INFO="/fr/status/").headers["Content-Language"] == "fr"
    assert django_app.calls == []


def test_if_none_match_gives_304(layer: StoredPages) -> None:
    etag = Answer(layer).headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        answer = Answer(layer, HTTP_IF_NONE_MATCH=header)
        assert answer.code == 304, header
        assert answer.body == b""
        assert answer.headers["ETag"] == etag
        assert "Content-Security-Policy" in answer.headers
    assert Answer(layer, HTTP_IF_NONE_MATCH='"other"').code == 200
    # Django's view answers the same way when a request reaches it.
    assert Client().get("/en/status/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_head_has_the_headers_without_the_body(layer: StoredPages) -> None:
    answer = Answer(layer, REQUEST_METHOD="HEAD")
    assert answer.code == 200
    assert answer.body == b""
    assert int(answer.headers["Content-Length"]) > 0


def test_a_new_update_changes_the_served_bytes(layer: StoredPages, responder: User) -> None:
    before = Answer(layer)
    publish(incident(responder, "Errors", ["checkout"]), "Payments are failing.")
    render_and_store()
    after = Answer(layer)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert b"Payments are failing." in after.body
    assert Answer(layer, HTTP_IF_NONE_MATCH=before.headers["ETag"]).code == 200


def test_the_copy_is_checked_at_most_once_per_interval(django_app: Django, db: None) -> None:
    public_service("checkout")
    render_and_store()
    layer = StoredPages(django_app, check_seconds=3600)
    first = Answer(layer).headers["ETag"]
    Service.objects.create(name="search", public=True)
    render_and_store()
    assert Answer(layer).headers["ETag"] == first  # still the copy
    layer.refresh(force=True)
    assert Answer(layer).headers["ETag"] != first


@pytest.mark.parametrize(
    "environ",
    [
        {"REQUEST_METHOD": "POST"},
        {"QUERY_STRING": "x=1"},
        {"PATH_INFO": "/en/status/internal/"},
        {"PATH_INFO": "/en/status/nothing/feed.atom"},
        {"PATH_INFO": "/en/"},
        {"HTTP_HOST": "evil.example"},
    ],
)
def test_anything_else_goes_on_to_django(
    layer: StoredPages, django_app: Django, settings: Settings, environ: dict[str, Any]
) -> None:
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    answer = Answer(layer, **environ)
    assert answer.code == 418
    assert len(django_app.calls) == 1


def test_https_rules_follow_the_settings(
    layer: StoredPages, django_app: Django, settings: Settings
) -> None:
    settings.SECURE_HSTS_SECONDS = 3600
    secure = StoredPages(django_app, check_seconds=0)
    assert "Strict-Transport-Security" not in Answer(secure).headers
    answer = Answer(secure, **{"wsgi.url_scheme": "https"})
    assert answer.headers["Strict-Transport-Security"] == "max-age=3600"
    settings.SECURE_SSL_REDIRECT = True
    # Plain HTTP when HTTPS is required: Django redirects it.
    assert Answer(secure).code == 418
    assert Answer(secure, **{"wsgi.url_scheme": "https"}).code == 200


def test_hotwash_serves_through_the_layer() -> None:
    from hotwash.wsgi import application

    assert isinstance(application, StoredPages)
