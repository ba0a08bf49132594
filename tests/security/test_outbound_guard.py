"""Outbound addresses an admin configures (webhook receivers, tracker APIs)
never reach loopback, private, link-local or other internal addresses in
production mode, unless HOTWASH_OUTBOUND_ALLOW lists them: checked when the
address is saved and again, resolving the name, at every connection.

The stand-ins live on 127.0.0.1, so these tests switch production mode on
(settings.PRODUCTION) to see them refused, and the allow-list to see them
pass again. Name resolution is the network edge: a fake getaddrinfo answers
for the made-up names under `.example.test` and defers to the real one for
everything else."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from hotwash.jobs.worker import HotwashWorker
from hotwash.notifications.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from hotwash.teams.models import Team
from hotwash.trackers import services, tasks
from hotwash.trackers.models import SyncState, TrackerConfig
from tests.integrations.github.standin import GitHubStandIn
from tests.support.notifications import WebhookSink, make_item
from tests.support.trackers import configure
from tests.support.trackers import make_item as make_team_item

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SECRET = "whsec-for-tests-0123456789"
PUBLIC_IP = "93.184.216.34"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def production(settings: Settings) -> Settings:
    """Production mode, as HOTWASH_PRODUCTION=1 sets it, with no allow-list."""
    settings.PRODUCTION = True
    settings.OUTBOUND_ALLOW = []
    return settings


class FakeDns:
    """Answers for names under .example.test: each name's answers are used
    in turn (the last one repeats), the way a rebinding DNS server flips a
    name from a public address to an internal one between two lookups."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.lookups: list[str] = []
        self._real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if not name.endswith(".example.test"):
            return self._real(host, port, *args, **kwargs)
        self.lookups.append(name)
        answers = self.answers.get(name)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        address = answers.pop(0) if len(answers) > 1 else answers[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, int(port or 0), 0, 0) if ":" in address else (address, int(port or 0))
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    fake = FakeDns()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


# Declaring the item's incident is an event too; these tests follow the item's one webhook.
CREATED = ["action_item.created"]


def drain() -> int:
    return HotwashWorker(
        worker_id="tests", queue_names=["default"], interval=0, periodic=False
    ).drain()


def url_errors(subscription: WebhookSubscription) -> list[str]:
    with pytest.raises(ValidationError) as error:
        subscription.full_clean()
    return error.value.message_dict.get("url", [])


# --- the rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "169.254.169.254",
        "fe80::1",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.1",
        "fc00::1",
        "fd12:3456::1",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        "255.255.255.255",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "100.64.0.1",
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    from hotwash.core.outbound import refusal_reason

    assert refusal_reason(address) is not None


@pytest.mark.parametrize("address", [PUBLIC_IP, "8.8.8.8", "2606:4700:4700::1111", "172.32.0.1"])
def test_public_addresses_pass(address: str) -> None:
    from hotwash.core.outbound import refusal_reason

    assert refusal_reason(address) is None


def test_outside_production_loopback_is_allowed(settings: Settings) -> None:
    from hotwash.core.outbound import check_url

    settings.PRODUCTION = False
    check_url("http://127.0.0.1:8000/hooks")


@pytest.mark.parametrize(
    ("allow", "url"),
    [
        (["127.0.0.1"], "http://127.0.0.1:9000/x"),
        (["127.0.0.0/8"], "http://127.0.0.1:9000/x"),
        (["10.0.0.0/8", "hooks.internal.example.test"], "https://10.9.8.7/x"),
        (["HOOKS.internal.example.test"], "https://hooks.internal.example.test/x"),
        (["::1"], "http://[::1]:9000/x"),
    ],
)
def test_the_allow_list_admits_hosts_and_ranges(
    production: Settings, dns: FakeDns, allow: list[str], url: str
) -> None:
    from hotwash.core.outbound import OutboundRefused, check_url

    dns.answers["hooks.internal.example.test"] = ["10.1.1.1"]
    with pytest.raises(OutboundRefused):
        check_url(url)
    production.OUTBOUND_ALLOW = allow
    check_url(url)


def test_a_name_is_refused_if_any_of_its_addresses_is_internal(
    production: Settings, dns: FakeDns, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotwash.core.outbound import OutboundRefused, resolve_and_check

    dns.answers["mixed.example.test"] = [PUBLIC_IP]
    assert resolve_and_check("mixed.example.test", 443) == [PUBLIC_IP]
    real = dns.__call__

    def two_answers(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "mixed.example.test":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_IP, port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(OutboundRefused, match=r"10\.0\.0\.7"):
        resolve_and_check("mixed.example.test", 443)


# --- webhooks: at save time ---------------------------------------------------------------


def test_a_webhook_to_an_internal_address_cannot_be_saved_in_production(
    production: Settings, dns: FakeDns, sink: WebhookSink
) -> None:
    dns.answers["points-home.example.test"] = ["127.0.0.1"]
    for url in (
        sink.url,
        "http://localhost:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "https://10.0.0.8/hook",
        "https://points-home.example.test/hook",
    ):
        errors = url_errors(WebhookSubscription(name="chat", url=url, secret=SECRET))  # type: ignore[misc]  # property; plugin knows fields only
        assert any("HOTWASH_OUTBOUND_ALLOW" in message for message in errors), (url, errors)

    production.OUTBOUND_ALLOW = ["127.0.0.1"]
    WebhookSubscription(name="chat", url=sink.url, secret=SECRET).full_clean()  # type: ignore[misc]  # property; plugin knows fields only


def test_the_admin_refuses_an_internal_webhook_address_with_a_clear_message(
    production: Settings, admin_user: User, sink: WebhookSink
) -> None:
    client = Client()
    client.force_login(admin_user)
    form = {
        "name": "chat",
        "url": sink.url,
        "events": "[]",
        "secret": SECRET,
        "secret_env": "",
        "active": "on",
    }
    refused = client.post("/en/admin/notifications/webhooksubscription/add/", form)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "loopback" in page and "HOTWASH_OUTBOUND_ALLOW" in page
    assert not WebhookSubscription.objects.exists()


# --- webhooks: at send time ---------------------------------------------------------------


def test_a_webhook_to_loopback_is_refused_at_send_time_and_recorded_as_failing(
    production: Settings,
    sink: WebhookSink,
    amira: User,
    admin_user: User,
    _clock: time_machine.Traveller,
    settings: Settings,
) -> None:
    # An old row (saved before the rule, or outside production) still points here.
    WebhookSubscription.objects.create(name="chat", url=sink.url, events=CREATED, secret=SECRET)  # type: ignore[misc]  # property; plugin knows fields only
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()  # the worker does not crash
    assert sink.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.next_attempt_at is not None
    assert "127.0.0.1" in delivery.last_error and "loopback" in delivery.last_error

    # Retried, and still refused, until the last attempt marks it failed.
    settings.TASK_MAX_ATTEMPTS = 2
    _clock.shift(timedelta(seconds=61))
    drain()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    assert sink.received == []

    admin = Client()
    admin.force_login(admin_user)
    page = admin.get("/en/admin/notifications/webhookdelivery/?status__exact=failed")
    assert page.status_code == 200
    assert "loopback" in page.content.decode()  # shown, with the reason


def test_an_allow_listed_receiver_gets_its_webhook_in_production(
    production: Settings, sink: WebhookSink, amira: User
) -> None:
    production.OUTBOUND_ALLOW = ["127.0.0.0/8"]
    subscription = WebhookSubscription(name="chat", url=sink.url, events=CREATED, secret=SECRET)  # type: ignore[misc]  # property; plugin knows fields only
    subscription.full_clean()
    subscription.save()
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    assert len(sink.received) == 1
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SENT


def test_a_name_that_rebinds_to_loopback_after_the_save_is_refused_at_send_time(
    production: Settings, dns: FakeDns, sink: WebhookSink, amira: User
) -> None:
    # Public when the admin saves it, 127.0.0.1 when the worker connects.
    dns.answers["hooks.example.test"] = [PUBLIC_IP, "127.0.0.1"]
    subscription = WebhookSubscription(  # type: ignore[misc]  # property; plugin knows fields only
        name="chat",
        url=f"http://hooks.example.test:{sink.port}/hooks/hotwash",
        events=CREATED,
        secret=SECRET,
    )
    subscription.full_clean()
    subscription.save()
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    assert sink.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "hooks.example.test" in delivery.last_error and "127.0.0.1" in delivery.last_error


def test_a_redirect_is_not_followed(sink: WebhookSink, amira: User) -> None:
    sink.statuses = [302]
    WebhookSubscription.objects.create(name="chat", url=sink.url, events=CREATED, secret=SECRET)  # type: ignore[misc]  # property; plugin knows fields only
    make_item(amira, due_on=NOW.date() + timedelta(days=5))
    drain()
    assert len(sink.received) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "HTTP 302" in delivery.last_error


# --- trackers -------------------------------------------------------------------------------


def github_tracker(team: Team, base_url: str) -> TrackerConfig:
    return TrackerConfig(
        team=team,
        kind="github",
        project="acme/payments",
        base_url=base_url,
        token_env="HOTWASH_SECRET_GITHUB_TOKEN",
    )


def test_a_tracker_on_an_internal_address_cannot_be_saved_in_production(
    production: Settings, dns: FakeDns, admin_user: User
) -> None:
    team = Team.objects.create(name="Payments", slug="payments")
    dns.answers["jira.internal.example.test"] = ["10.20.30.40"]
    for base_url in (
        "https://127.0.0.1:8443",
        "https://localhost/api/v3",
        "https://169.254.169.254",
        "https://[fe80::1]",
        "https://192.168.0.10",
        "https://jira.internal.example.test",
    ):
        with pytest.raises(ValidationError) as error:
            github_tracker(team, base_url).full_clean()
        messages = " ".join(error.value.message_dict.get("base_url", []))
        assert "HOTWASH_OUTBOUND_ALLOW" in messages, (base_url, error.value.message_dict)

    production.OUTBOUND_ALLOW = ["jira.internal.example.test", "192.168.0.0/24"]
    github_tracker(team, "https://jira.internal.example.test").full_clean()
    github_tracker(team, "https://192.168.0.10").full_clean()

    production.OUTBOUND_ALLOW = []
    client = Client()
    client.force_login(admin_user)
    refused = client.post(
        "/en/admin/trackers/trackerconfig/add/",
        {
            "team": team.pk,
            "kind": "github",
            "base_url": "https://127.0.0.1:8443",
            "project": "acme/payments",
            "language": "en",
            "auth_method": "token",
            "token_env": "HOTWASH_SECRET_GITHUB_TOKEN",
        },
    )
    assert refused.status_code == 200
    assert "HOTWASH_OUTBOUND_ALLOW" in refused.content.decode()
    assert not TrackerConfig.objects.exists()


def test_a_push_to_a_loopback_tracker_is_refused_in_production_and_shown(
    production: Settings,
    responder: User,
    admin_user: User,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    production.PRODUCTION = False  # saved on a laptop, or before the rule
    team = Team.objects.create(name="Payments", slug="payments")
    configure(monkeypatch, github, team=team)
    item = make_team_item(responder, team)
    with django_capture_on_commit_callbacks(execute=False):
        link = services.request_push(item, actor=responder)

    production.PRODUCTION = True
    assert tasks.attempt_push(link.pk) == "failed"
    link.refresh_from_db()
    assert link.sync_state == SyncState.FAILED
    assert link.error_kind == "address"
    assert "127.0.0.1" in link.last_error
    assert github.requests == []  # nothing, not even the token, left Hotwash

    admin = Client()
    admin.force_login(admin_user)
    html = admin.get("/en/admin/trackers/trackerlink/?problem=failed").content.decode()
    assert item.ref in html and "HOTWASH_OUTBOUND_ALLOW" in html


def test_an_allow_listed_tracker_is_reached_in_production(
    production: Settings,
    responder: User,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    production.OUTBOUND_ALLOW = ["127.0.0.1"]
    production.PRODUCTION = False  # the stand-in speaks http, which production refuses to save
    team = Team.objects.create(name="Payments", slug="payments")
    configure(monkeypatch, github, team=team)
    item = make_team_item(responder, team)
    with django_capture_on_commit_callbacks(execute=False):
        link = services.request_push(item, actor=responder)
    production.PRODUCTION = True
    assert tasks.attempt_push(link.pk) == "created"
    assert len(github.issues) == 1


def test_a_tracker_name_that_rebinds_to_loopback_is_refused_when_polled(
    production: Settings,
    dns: FakeDns,
    responder: User,
    github: GitHubStandIn,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    production.PRODUCTION = False
    team = Team.objects.create(name="Payments", slug="payments")
    dns.answers["github.example.test"] = ["127.0.0.1"]
    configure(
        monkeypatch,
        github,
        team=team,
        base_url=github.url.replace("127.0.0.1", "github.example.test"),
    )
    item = make_team_item(responder, team)
    with django_capture_on_commit_callbacks(execute=False):
        link = services.request_push(item, actor=responder)
    assert tasks.attempt_push(link.pk) == "created"  # outside production: fine
    seen = len(github.requests)

    production.PRODUCTION = True
    result = services.poll_tracker(TrackerConfig.objects.get(), NOW)
    assert "github.example.test" in result.error and "127.0.0.1" in result.error
    assert len(github.requests) == seen
    assert "HOTWASH_OUTBOUND_ALLOW" in TrackerConfig.objects.get().last_poll_error
