"""Security headers: a Content-Security-Policy on every page, pages that keep
to it (no inline script, style or event handler), nosniff on static files
too, and Strict-Transport-Security when HOTWASH_HSTS_SECONDS says so.

What a real browser makes of the policy is in tests/browser/test_live_timeline.py (it watches
for violations on every kind of page); what `hotwash serve` sends, in
tests/core/test_serve.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from django.test import Client
from pytest_django import Settings

from hotwash.incidents import services as incidents
from hotwash.postmortems import services as postmortems

pytestmark = pytest.mark.django_db


def policy_of(header: str) -> dict[str, list[str]]:
    """'default-src 'self'; img-src 'self' data:' as {directive: sources}."""
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class InlineCode(HTMLParser):
    """What a strict policy would block in a page: inline scripts (a data
    block such as json_script is fine), inline styles, event handler
    attributes and javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and not named.get("src") and named.get("type") != "application/json":
            self.found.append(f"inline <script> {named}")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.found.append(f'style="{value}" on <{tag}>')
            if name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            if name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL on <{tag}>")


def inline_code_in(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def assert_strict_policy(response: Any, path: str) -> None:
    header = response.get("Content-Security-Policy")
    assert header, f"{path} has no Content-Security-Policy"
    policy = policy_of(header)
    assert policy["default-src"] == ["'self'"], path
    assert policy["script-src"] == ["'self'"], path
    assert policy["style-src"] == ["'self'"], path
    assert policy["object-src"] == ["'none'"], path
    assert policy["frame-ancestors"] == ["'none'"], path
    assert policy["base-uri"] == ["'none'"], path
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header, path


@pytest.fixture
def pages(responder: User) -> list[str]:
    """One address of each kind of page a signed-in person sees."""
    incident = incidents.declare_incident(actor=responder, title="Checkout fails")
    retrospective = postmortems.create_retrospective(actor=responder, title="Black Friday")
    return [
        "/en/",
        "/fr/",
        "/en/incidents/",
        f"/en/incidents/{incident.ref}/",
        f"/en/incidents/{incident.ref}/catchup/",
        f"/fr/incidents/{incident.ref}/",
        "/en/postmortems/",
        f"/en/postmortems/{retrospective.pk}/",
        f"/en/postmortems/{retrospective.pk}/edit/",
        "/en/postmortems/public/",
        "/en/action-items/",
        "/en/action-items/dashboard/",
        "/en/alerts/",
        "/en/triggers/",
        "/en/triggers/proposals/",
        "/en/accounts/preferences/",
        "/en/notifications/",
        "/en/incidents/INC-99999/",  # Hotwash's "not found"
    ]


def test_every_page_has_a_strict_policy_and_keeps_to_it(responder: User, pages: list[str]) -> None:
    client = Client()
    client.force_login(responder)
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert_strict_policy(response, path)
        assert inline_code_in(response.content.decode()) == [], path


def test_the_sign_in_page_has_the_policy_too() -> None:
    response = Client().get("/en/accounts/login/")
    assert response.status_code == 200
    assert_strict_policy(response, "/en/accounts/login/")
    assert inline_code_in(response.content.decode()) == []


@pytest.mark.parametrize(
    "path",
    ["/en/admin/", "/en/admin/auth/user/", "/en/admin/auth/user/add/", "/api/v1/docs"],
)
def test_the_admin_and_the_api_docs_run_under_the_same_policy(admin_user: User, path: str) -> None:
    client = Client()
    client.force_login(admin_user)
    response = client.get(path)
    assert response.status_code == 200
    assert_strict_policy(response, path)
    assert inline_code_in(response.content.decode()) == [], path


def test_the_server_error_page_has_the_policy(settings: Settings) -> None:
    settings.ROOT_URLCONF = "tests.support.error_urls"
    response = Client(raise_request_exception=False).get("/en/crash/")
    assert response.status_code == 500
    assert_strict_policy(response, "/en/crash/")


def get_static(path: str, **extra: Any) -> Any:
    """A static file's response, read to the end: the test client then
    closes it (closing it again would close the test's database connection
    in the middle of its transaction, on PostgreSQL)."""
    response = cast(StreamingHttpResponse, Client().get(path, **extra))
    b"".join(cast(Iterator[bytes], response.streaming_content))  # WhiteNoise's are sync
    return response


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/hotwash/app.css", "text/css"),
        ("/static/hotwash/live.js", "text/javascript"),
        ("/static/postmortems/editor.js", "text/javascript"),
        ("/static/admin/css/base.css", "text/css"),
    ],
)
def test_static_files_are_served_with_nosniff(path: str, content_type: str) -> None:
    response = get_static(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_are_sent_with_nosniff(responder_client: Client) -> None:
    assert responder_client.get("/en/")["X-Content-Type-Options"] == "nosniff"


def test_no_hsts_unless_configured(responder_client: Client) -> None:
    assert "Strict-Transport-Security" not in responder_client.get("/en/", secure=True)


def test_hsts_on_https_when_configured(settings: Settings, responder_client: Client) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    response = responder_client.get("/en/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    static = get_static("/static/hotwash/app.css", secure=True)
    assert static["Strict-Transport-Security"] == "max-age=31536000"
    # Never over plain HTTP (RFC 6797: the browser would ignore it anyway).
    assert "Strict-Transport-Security" not in responder_client.get("/en/")


def test_hsts_behind_a_tls_proxy_that_says_so(settings: Settings, responder_client: Client) -> None:
    settings.SECURE_HSTS_SECONDS = 600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = responder_client.get("/en/", headers={"X-Forwarded-Proto": "https"})
    assert response["Strict-Transport-Security"] == "max-age=600"
    assert "Strict-Transport-Security" not in responder_client.get("/en/")
