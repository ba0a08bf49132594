"""The `teams` channel (an incident's thread) and the `teams_webhook`
channel (a workflow webhook) when Microsoft answers 429, fails or refuses:
retried when waiting helps, refused at once otherwise, always visible on
the delivery, and nothing lost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.contrib.auth.models import User
from pytest_django import Settings

from hotwash.chat.models import ChatConversation
from hotwash.incidents.models import Incident
from hotwash.incidents.services import declare_incident, set_status
from hotwash.integrations.teams.auth import bot_token
from hotwash.integrations.teams.channel import TeamsWebhook
from hotwash.notifications.models import Delivery, DeliveryStatus
from tests.integrations.teams.conftest import PASSWORD, TENANT, Connector, card_of, card_text, drain
from tests.integrations.teams.standin import BotFrameworkStandIn

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
LANGUAGES = ["en", "fr"]
VARIABLE = "HOTWASH_SECRET_TEAMS_OPS"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def opening(incident: Incident) -> Delivery:
    [delivery] = [
        d for d in Delivery.objects.filter(channel="teams") if d.target.get("open") is True
    ]
    assert d_incident(delivery) == incident.pk
    return delivery


def d_incident(delivery: Delivery) -> int | None:
    return ChatConversation.objects.get(pk=delivery.target["conversation"]).incident_id


def declare_in_teams(connector: Connector, language: str, captured: Any) -> Incident:
    with captured(execute=True):
        connector.post(connector.mention("declare Checkout fails", language=language))
    return Incident.objects.get()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_rate_limited_thread_opens_after_retry_after(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    language: str,
    settings: Settings,
    _clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASK_RETRY_SECONDS = 1  # the backoff alone would retry sooner
    incident = declare_in_teams(connector, language, django_capture_on_commit_callbacks)
    botframework.rate_limit_next(retry_after=120)
    before = datetime.now(UTC)
    drain()

    delivery = opening(incident)
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_status_code == 429
    assert "HTTP 429" in delivery.last_error
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= before + timedelta(seconds=120)
    assert not ChatConversation.objects.get().is_open

    _clock.shift(timedelta(seconds=121))
    drain()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    conversation = ChatConversation.objects.get()
    assert conversation.is_open
    assert incident.ref in card_text(card_of(botframework.posted(conversation.conversation_id)[0]))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_change_posted_while_teams_is_down_arrives_later(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    responder: User,
    language: str,
    settings: Settings,
    _clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASK_RETRY_SECONDS = 1
    incident = declare_in_teams(connector, language, django_capture_on_commit_callbacks)
    drain()
    _clock.shift(timedelta(minutes=5))
    drain()  # what waited for the thread to open is posted now
    thread = ChatConversation.objects.get().conversation_id

    botframework.fail_next(503, body={"error": {"code": "ServiceError", "message": "Unavailable"}})
    with django_capture_on_commit_callbacks(execute=True):
        set_status(incident, actor=responder, status="monitoring")
    drain()
    [failed] = Delivery.objects.filter(status=DeliveryStatus.RETRYING)
    assert failed.last_status_code == 503
    assert "HTTP 503" in failed.last_error
    assert "Unavailable" in failed.last_error

    _clock.shift(timedelta(minutes=5))
    drain()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SENT
    last = card_text(card_of(botframework.posted(thread)[-1]))
    assert {"en": "Monitoring", "fr": "surveillance"}[language] in last
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unreachable_connector_is_retried(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = declare_in_teams(connector, language, django_capture_on_commit_callbacks)
    with BotFrameworkStandIn(app_id="x", password="y", tenant="z") as gone:
        address = gone.service_url
    ChatConversation.objects.update(service_url=address)  # nothing listens there now
    drain()
    delivery = opening(incident)
    assert delivery.status == DeliveryStatus.RETRYING
    assert "could not be reached" in delivery.last_error


@pytest.mark.parametrize("language", LANGUAGES)
def test_credentials_refused_fail_at_once_without_showing_the_secret(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    language: str,
    settings: Settings,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = declare_in_teams(connector, language, django_capture_on_commit_callbacks)
    settings.TEAMS_APP_PASSWORD = "a-rotated-secret"
    bot_token.forget()
    drain()
    delivery = opening(incident)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_status_code == 401
    assert "invalid_client" in delivery.last_error
    assert "a-rotated-secret" not in delivery.last_error
    assert PASSWORD not in delivery.last_error


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_private_incident_without_a_private_channel_is_not_posted(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    values = {"hotwash_form": "declare", "title": "Secret", "severity": "2", "private": "true"}
    with django_capture_on_commit_callbacks(execute=True):
        connector.post(connector.activity(value=values, language=language))
    drain()
    incident = Incident.objects.get(title="Secret")
    delivery = opening(incident)
    assert delivery.status == DeliveryStatus.FAILED
    assert "HOTWASH_TEAMS_PRIVATE_CHANNEL_ID" in delivery.last_error
    assert [r for r in botframework.connector_posts() if "isGroup" in r.body] == []
    # The answer in the channel where the form was filled names no title.
    [answer] = botframework.posted("19:general0123@thread.tacv2")
    assert incident.ref in answer["text"]
    assert "Secret" not in answer["text"]
    assert {"en": "declared, private", "fr": "déclaré, privé"}[language] in answer["text"]


# --- the workflow webhook ------------------------------------------------------------


@pytest.fixture
def rules(settings: Settings, tmp_path: Path) -> Callable[[str], None]:
    def use(text: str) -> None:
        path = tmp_path / "notifications.yaml"
        path.write_text(text, encoding="utf-8")
        settings.NOTIFICATION_POLICY_FILE = str(path)

    return use


def webhook_rule(language: str) -> str:
    return f"""
rules:
  - name: announce
    when:
      events: [incident.declared, incident.status_changed]
    send:
      - teams_webhook: {{url_env: {VARIABLE}, language: {language}}}
"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_teams_webhook_posts_the_event_card_in_its_language(
    botframework: BotFrameworkStandIn,
    responder: User,
    rules: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    monkeypatch.setenv(VARIABLE, botframework.workflow_url)
    rules(webhook_rule(language))
    incident = declare_incident(actor=responder, title="Checkout fails", severity=1)
    drain()
    [posted] = botframework.webhook_posts
    assert posted["type"] == "message"
    card = card_of(posted)
    assert incident.ref in card_text(card)
    assert {"en": "declared", "fr": "déclaré"}[language] in card_text(card)
    assert card["actions"][0]["url"].endswith(f"/{language}/incidents/{incident.ref}/")
    delivery = Delivery.objects.get(channel="teams_webhook")
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.SENT, 202)
    assert delivery.target == {"url_env": VARIABLE, "language": language}


@pytest.mark.parametrize("language", LANGUAGES)
def test_teams_webhook_retries_a_429_and_never_shows_the_url(
    botframework: BotFrameworkStandIn,
    responder: User,
    rules: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    _clock: time_machine.Traveller,
    language: str,
) -> None:
    settings.TASK_RETRY_SECONDS = 1
    monkeypatch.setenv(VARIABLE, botframework.workflow_url)
    rules(webhook_rule(language))
    botframework.rate_limit_next(retry_after=60)
    declare_incident(actor=responder, title="Checkout fails", severity=1)
    drain()
    delivery = Delivery.objects.get(channel="teams_webhook")
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_status_code == 429
    assert "sig=" not in delivery.last_error
    _clock.shift(timedelta(seconds=61))
    drain()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(botframework.webhook_posts) == 1


def test_teams_webhook_without_its_variable_fails_saying_which(
    botframework: BotFrameworkStandIn, responder: User, rules: Callable[[str], None]
) -> None:
    rules(webhook_rule("en"))
    declare_incident(actor=responder, title="Checkout fails", severity=1)
    drain()
    delivery = Delivery.objects.get(channel="teams_webhook")
    assert delivery.status == DeliveryStatus.FAILED
    assert VARIABLE in delivery.last_error


@pytest.mark.parametrize(
    "target",
    [
        {},
        {"url": "https://example.org/hook"},
        {"url_env": "NOT A NAME"},
        {"url_env": "HOTWASH_SECRET_KEY"},
        {"url_env": VARIABLE, "language": "de"},
    ],
)
def test_teams_webhook_targets_are_checked(target: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TeamsWebhook().check_target(target)


def self_signed(path: Path) -> x509.Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hotwash-bot")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ) + certificate.public_bytes(serialization.Encoding.PEM)
    path.write_bytes(pem)
    return certificate


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_bot_can_prove_itself_with_a_certificate(
    connector: Connector,
    botframework: BotFrameworkStandIn,
    settings: Settings,
    tmp_path: Path,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    botframework.upload_certificate(self_signed(tmp_path / "bot.pem"))
    settings.TEAMS_APP_PASSWORD = ""
    settings.TEAMS_CERTIFICATE_FILE = str(tmp_path / "bot.pem")
    declare_in_teams(connector, language, django_capture_on_commit_callbacks)
    drain()
    assert ChatConversation.objects.get().is_open
    [grant] = botframework.sent("POST", f"/{TENANT}/oauth2/v2.0/token")
    assert "client_secret" not in grant.body
    assert "client_assertion=" in grant.body

    # Another certificate than the one uploaded is refused.
    self_signed(tmp_path / "bot.pem")
    bot_token.forget()
    with django_capture_on_commit_callbacks(execute=True):
        set_status(
            Incident.objects.get(), actor=User.objects.get(username="amira"), status="monitoring"
        )
    drain()
    refused = Delivery.objects.get(status=DeliveryStatus.FAILED)
    assert "invalid_client" in refused.last_error
