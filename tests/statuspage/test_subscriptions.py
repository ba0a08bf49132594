"""Mail subscriptions: double opt-in through a real SMTP server on loopback,
one-click unsubscribe (RFC 8058), forged and expired links, no duplicates,
no mail cannon; and who hears a public update (the recipient source)."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import signing
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from hotwash.core.models import AuditRecord
from hotwash.incidents.models import Incident, Service
from hotwash.jobs.worker import HotwashWorker
from hotwash.notifications.events import EventType
from hotwash.notifications.models import Event
from hotwash.notifications.routing import plan, recipient_sources
from hotwash.statuspage import subscriptions
from hotwash.statuspage.models import StatusSubscriber
from hotwash.statuspage.services import publish_update
from tests.statuspage.status_helpers import incident, public_service
from tests.support.notifications import SmtpSink, bodies, smtp_sink, use_smtp

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


@pytest.fixture
def smtp(settings: Settings) -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        use_smtp(settings, sink.port)
        settings.DEFAULT_FROM_EMAIL = "Status <status@example.org>"
        yield sink


@pytest.fixture
def ticking_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    """The signing clock moves a second each time a link is signed, as it
    may on a busy worker: a mail must still carry one unsubscribe link,
    the same in its body and its List-Unsubscribe header."""
    seconds = itertools.count(int(time.time()))
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(next(seconds))
    )


@pytest.fixture
def checkout(db: None) -> Service:
    return public_service("checkout", "Online checkout")


def drain() -> int:
    worker = HotwashWorker(worker_id="tests", queue_names=["default"], interval=0, periodic=False)
    return worker.drain()


def ask(capture: Capture, email: str, language: str = "en", service: str = "all") -> Any:
    with capture(execute=True):
        return Client().post(
            f"/{language}/status/subscribe/",
            {"email": email, "language": language, "service": service},
        )


def link_in(text: str, kind: str) -> str:
    match = re.search(rf"http://\S+/status/subscriptions/{kind}/\S+/", text)
    assert match, text
    return match.group(0).removeprefix("http://127.0.0.1:8000")


def test_double_opt_in_in_the_subscribers_language(
    smtp: SmtpSink,
    checkout: Service,
    django_capture_on_commit_callbacks: Capture,
    ticking_signatures: None,
) -> None:
    response = ask(django_capture_on_commit_callbacks, "Lea@Example.org", "fr", str(checkout.pk))
    assert response.status_code == 302
    assert response["Location"] == "/fr/status/subscribe/sent/"
    sent = Client().get(response["Location"])
    assert "Vérifiez votre boîte" in sent.content.decode()
    subscriber = StatusSubscriber.objects.get()
    assert subscriber.email == "lea@example.org"
    assert subscriber.confirmed_at is None
    assert drain() == 1
    [message] = smtp.messages
    assert message["To"] == "lea@example.org"
    assert "Confirmez" in message["Subject"]
    # RFC 8058 one-click unsubscribe, on every mail.
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unfolded = "".join(str(message["List-Unsubscribe"]).split())
    assert re.fullmatch(r"<http://\S+/fr/status/subscriptions/unsubscribe/\S+/>", unfolded)
    text, html = bodies(message)
    assert unfolded.strip("<>") in text and unfolded.strip("<>") in html
    confirm = link_in(text, "confirm")
    assert confirm.startswith("/fr/")
    assert confirm in html
    # Opening the link shows a button; it does not confirm by itself (mail
    # scanners open links).
    page = Client().get(confirm)
    assert page.status_code == 200
    assert "Online checkout" in page.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None
    done = Client().post(confirm)
    assert done.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is not None
    assert AuditRecord.objects.filter(action="statuspage.subscription_confirmed").count() == 1
    # Following it again is harmless.
    assert Client().post(confirm).status_code == 200
    assert AuditRecord.objects.filter(action="statuspage.subscription_confirmed").count() == 1


def test_subscribing_twice_neither_duplicates_nor_mails_again(
    smtp: SmtpSink, checkout: Service, django_capture_on_commit_callbacks: Capture
) -> None:
    ask(django_capture_on_commit_callbacks, "sam@example.org")
    ask(django_capture_on_commit_callbacks, "sam@example.org")
    assert StatusSubscriber.objects.count() == 1
    assert drain() == 1  # one pending confirmation, re-sent at most every N minutes
    subscriber = StatusSubscriber.objects.get()
    subscriptions.confirm(subscriber)
    ask(django_capture_on_commit_callbacks, "SAM@example.org")
    assert StatusSubscriber.objects.count() == 1
    assert drain() == 0
    assert len(smtp.messages) == 1


@pytest.mark.parametrize("service_slug", [None, "checkout"])
def test_the_database_holds_one_subscription_per_address_and_scope(
    checkout: Service, service_slug: str | None
) -> None:
    """The last guard against two simultaneous first requests, on SQLite too
    (where NULLs are distinct in a plain unique constraint)."""
    service = checkout if service_slug else None
    now = timezone.now()
    StatusSubscriber.objects.create(email="sam@example.org", service=service, created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusSubscriber.objects.create(email="sam@example.org", service=service, created_at=now)
    other = None if service_slug else checkout
    StatusSubscriber.objects.create(email="sam@example.org", service=other, created_at=now)
    assert StatusSubscriber.objects.count() == 2


def test_a_pending_address_is_mailed_again_only_after_the_interval(
    smtp: SmtpSink,
    checkout: Service,
    settings: Settings,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.STATUS_CONFIRMATION_RESEND_MINUTES = 15
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask(django_capture_on_commit_callbacks, "kim@example.org")
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        ask(django_capture_on_commit_callbacks, "kim@example.org", service=str(checkout.pk))
    assert drain() == 1
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        ask(django_capture_on_commit_callbacks, "kim@example.org", service=str(checkout.pk))
        assert drain() == 1
    assert len(smtp.to("kim@example.org")) == 2
    # Still one row: the pending choice was replaced, not added.
    subscriber = StatusSubscriber.objects.get()
    assert subscriber.service == checkout
    # The first mail's link no longer confirms anything (its choice changed).
    first, second = smtp.to("kim@example.org")
    stale = link_in(bodies(first)[0], "confirm")
    assert Client().post(stale).status_code == 400
    assert Client().post(link_in(bodies(second)[0], "confirm")).status_code == 200


def test_a_forged_or_expired_link_changes_nothing(
    smtp: SmtpSink,
    checkout: Service,
    settings: Settings,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.STATUS_CONFIRMATION_MAX_AGE_HOURS = 48
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask(django_capture_on_commit_callbacks, "ana@example.org")
        drain()
    text = bodies(smtp.messages[0])[0]
    confirm = link_in(text, "confirm")
    unsubscribe = link_in(text, "unsubscribe")
    forged = confirm[:-6] + "AAAAA/"
    response = Client().post(forged)
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    with time_machine.travel(start + timedelta(hours=49), tick=False):
        response = Client().post(confirm)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    assert StatusSubscriber.objects.get().confirmed_at is None
    assert Client().post(unsubscribe[:-6] + "AAAAA/").status_code == 400
    assert StatusSubscriber.objects.count() == 1
    assert Client().get("/en/status/subscriptions/unsubscribe/garbage/").status_code == 400


def test_one_click_unsubscribe(
    smtp: SmtpSink, checkout: Service, django_capture_on_commit_callbacks: Capture
) -> None:
    ask(django_capture_on_commit_callbacks, "leo@example.org")
    drain()
    subscriptions.confirm(StatusSubscriber.objects.get())
    header = "".join(str(smtp.messages[0]["List-Unsubscribe"]).split()).strip("<>")
    path = header.removeprefix("http://127.0.0.1:8000")
    # Opening the link asks; it does not unsubscribe (RFC 8058: GET must not).
    assert Client().get(path).status_code == 200
    assert StatusSubscriber.objects.count() == 1
    # The mail provider's one-click POST: no cookies, no CSRF token.
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert StatusSubscriber.objects.count() == 0
    assert AuditRecord.objects.filter(action="statuspage.unsubscribed").count() == 1
    again = client.post(path)
    assert again.status_code == 200
    assert "already" in again.content.decode()


def test_bad_input_is_refused_and_changes_nothing(checkout: Service) -> None:
    response = Client().post(
        "/en/status/subscribe/", {"email": "not an address", "language": "en", "service": "all"}
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    response = Client().post(
        "/en/status/subscribe/", {"email": "a@example.org", "language": "en", "service": "999"}
    )
    assert response.status_code == 400
    assert StatusSubscriber.objects.count() == 0
    # The form also stands on its own page.
    assert Client().get("/fr/status/subscribe/").status_code == 200


# --- the recipient source -----------------------------------------------------------


def event(incident: Incident, audience: str = "public", private: bool = False) -> Event:
    return Event(
        type=EventType.INCIDENT_UPDATE_PUBLISHED,
        occurred_at=timezone.now(),
        incident=incident,
        private=private,
        data={"update": {"id": 1, "audience": audience, "status": "investigating"}},
    )


def subscriber(
    email: str, service: Service | None, confirmed: bool = True, lang: str = "en"
) -> StatusSubscriber:
    now = timezone.now()
    return StatusSubscriber.objects.create(
        email=email,
        service=service,
        language=lang,
        created_at=now,
        confirmed_at=now if confirmed else None,
    )


def test_public_updates_reach_confirmed_subscribers_only(
    responder: User, checkout: Service
) -> None:
    search = public_service("search")
    everything = subscriber("all@example.org", None, lang="fr")
    mine = subscriber("shop@example.org", checkout)
    subscriber("search@example.org", search)
    subscriber("pending@example.org", None, confirmed=False)
    subscriber("shop@example.org", None)  # also every service: one mail all the same
    inc = incident(responder, "Errors", ["checkout"])
    planned = subscriptions.recipients(event(inc))
    assert [(p.channel, p.key, p.address, p.language) for p in planned] == [
        ("email", "email:addr:all@example.org", "all@example.org", "fr"),
        ("email", "email:addr:shop@example.org", "shop@example.org", "en"),
    ]
    assert planned[0].target == {"subscriber": everything.pk}
    assert planned[1].target["subscriber"] in (mine.pk, mine.pk + 1)


def test_nothing_for_internal_updates_private_incidents_or_other_events(
    responder: User, checkout: Service
) -> None:
    subscriber("all@example.org", None)
    inc = incident(responder, "Errors", ["checkout"])
    assert subscriptions.recipients(event(inc, audience="internal")) == []
    assert subscriptions.recipients(event(inc, private=True)) == []
    declared = event(inc)
    declared.type = EventType.INCIDENT_DECLARED
    assert subscriptions.recipients(declared) == []
    # Made private after the update was published: nothing either.
    Incident.objects.filter(pk=inc.pk).update(private=True)
    assert subscriptions.recipients(event(inc)) == []


def test_the_source_is_registered_with_routing(responder: User, checkout: Service) -> None:
    assert subscriptions.recipients in recipient_sources.functions
    subscriber("all@example.org", None)
    inc = incident(responder, "Errors", ["checkout"])
    keys = [p.key for p in plan(event(inc))]
    assert "email:addr:all@example.org" in keys


# --- the mail a subscriber gets -----------------------------------------------------


def test_a_public_update_mails_subscribers_the_public_text_only(
    responder: User, checkout: Service, smtp: SmtpSink, ticking_signatures: None
) -> None:
    """End to end: publishing through the service, routing, the email
    channel, a real SMTP server. The subscriber reads the update in their
    language with the public name of the service and their own one-click
    unsubscribe link (body and RFC 8058 headers), never the incident's
    reference, title or people, which the public does not see."""
    subscriber("lea@example.org", None, lang="fr")
    gone = subscriber("gone@example.org", checkout)
    inc = incident(responder, "Card processor PSP-7 timeouts on db-eu-3", ["checkout"])
    publish_update(
        inc,
        actor=responder,
        audience="public",
        status="identified",
        text={"en": "Payments fail for some customers.", "fr": "Certains paiements échouent."},
    )
    subscriptions.unsubscribe(gone)  # after routing decided, before the mail leaves
    drain()
    [mail] = [m for m in smtp.messages if "lea@example.org" in str(m["To"])]
    assert not smtp.to("gone@example.org")
    text, html = bodies(mail)
    assert "Certains paiements échouent." in text
    assert "Online checkout" in str(mail["Subject"]) and "Online checkout" in text
    for secret in (inc.ref, "PSP-7", "db-eu-3", "amira"):
        assert secret not in str(mail["Subject"]) + text + html
    link = re.search(r"https?://\S+/fr/status/subscriptions/unsubscribe/\S+/", text)
    assert link is not None and link.group(0) in html
    assert str(mail["List-Unsubscribe"]).strip() == f"<{link.group(0)}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
