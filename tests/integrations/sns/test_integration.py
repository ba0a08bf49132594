"""Amazon SNS: signatures (versions 1 and 2) checked against a certificate
fetched only from SNS hosts, the subscription handshake, CloudWatch alarms.
The network edge is a loopback stand-in for SNS serving a test certificate."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.test import Client
from pytest_django import Settings

from hotwash.alerts.models import Alert, AlertGroup, AlertSource
from hotwash.alerts.services import create_source
from hotwash.core.models import AuditRecord
from hotwash.integrations.sns import webhook as sns
from hotwash.integrations.sns.parser import SnsMessage
from tests.support.servers import POLL

pytestmark = pytest.mark.django_db
URL = "/api/v1/alerts/sns"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:alarms"
ALARM_ARN = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-5xx"


# --- a certificate authority and SNS's signing certificate -------------------------------


def _certificate(
    subject: str, key: rsa.RSAPrivateKey, issuer: str, issuer_key: rsa.RSAPrivateKey, ca: bool
) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


class Signer:
    def __init__(self) -> None:
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.certificate = _certificate("sns.amazonaws.com", self.key, "Test CA", ca_key, False)
        self.pem = self.certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, message: dict[str, Any], version: str = "2") -> dict[str, Any]:
        message = {**message, "SignatureVersion": version}
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        text = sns.string_to_sign(SnsMessage.model_validate({**message, "Signature": "-"}))
        signature = self.key.sign(text, padding.PKCS1v15(), algorithm)
        return {**message, "Signature": base64.b64encode(signature).decode()}


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer()


# --- the stand-in for SNS ------------------------------------------------------------------


class StandIn(ThreadingHTTPServer):
    pem = b""
    hits: list[str]
    down = False
    # The production rule (the setting before the fixture changed it).
    sns_hosts = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: StandIn

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        if self.server.down:
            self.send_response(503)
            self.end_headers()
            return
        body = self.server.pem if self.path.endswith(".pem") else b"<ConfirmSubscriptionResponse/>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def stand_in(signer: Signer, settings: Settings) -> Iterator[StandIn]:
    server = StandIn(("127.0.0.1", 0), Handler)
    server.pem, server.hits = signer.pem, []
    thread = threading.Thread(target=server.serve_forever, args=(POLL,), daemon=True)
    thread.start()
    # Only here may certificates come from somewhere other than an SNS host.
    server.sns_hosts = settings.ALERTS_SNS_URL_PATTERN
    settings.ALERTS_SNS_URL_PATTERN = r"http://127\.0\.0\.1:\d+/"
    sns.forget_certificates()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        sns.forget_certificates()


@pytest.fixture
def source(db: None) -> tuple[AlertSource, Client]:
    source, token = create_source(name="cloudwatch", kind="sns", allowed_topic_arns=[TOPIC])
    credentials = base64.b64encode(f"hotwash:{token}".encode()).decode()
    return source, Client(HTTP_AUTHORIZATION=f"Basic {credentials}")


def alarm(state: str = "ALARM", at: str = "2026-11-26T03:12:00.000+0000") -> str:
    return json.dumps(
        {
            "AlarmName": "checkout-5xx",
            "AlarmDescription": "Checkout answers 5xx",
            "AWSAccountId": "123456789012",
            "NewStateValue": state,
            "NewStateReason": "Threshold Crossed: 1 datapoint [12.0] was greater than 5.0",
            "StateChangeTime": at,
            "Region": "EU (Ireland)",
            "AlarmArn": ALARM_ARN,
            "OldStateValue": "OK" if state == "ALARM" else "ALARM",
            "Trigger": {
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Namespace": "AWS/ApplicationELB",
                "Dimensions": [{"value": "app/shop/123", "name": "LoadBalancer"}],
            },
        }
    )


def notification(stand_in: StandIn, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Subject": 'ALARM: "checkout-5xx" in EU (Ireland)',
        "Message": message,
        "Timestamp": "2026-11-26T03:12:01.000Z",
        "SigningCertURL": f"{stand_in.base}/SimpleNotificationService-abc.pem",
        "UnsubscribeURL": f"{stand_in.base}/?Action=Unsubscribe",
        **extra,
    }


def send(client: Client, message: dict[str, Any]) -> Any:
    return client.post(
        URL,
        json.dumps(message),
        content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=message.get("Type", ""),
    )


# --- tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_signed_alarm_fires_and_ok_resolves_it(
    stand_in: StandIn, signer: Signer, source: tuple[AlertSource, Client], version: str
) -> None:
    _source, client = source
    response = send(client, signer.sign(notification(stand_in, alarm()), version))
    assert response.status_code == 200, response.content
    alert = Alert.objects.get()
    assert alert.status == "firing"
    assert alert.labels["alertname"] == "checkout-5xx"
    assert alert.labels["aws_region"] == "eu-west-1"
    assert alert.labels["dimension_LoadBalancer"] == "app/shop/123"
    assert alert.starts_at == datetime(2026, 11, 26, 3, 12, tzinfo=UTC)
    assert alert.generator_url.startswith("https://console.aws.amazon.com/cloudwatch/")
    ok = notification(stand_in, alarm("OK", "2026-11-26T03:30:00.000+0000"), MessageId="m2")
    assert send(client, signer.sign(ok, version)).status_code == 200
    alert.refresh_from_db()
    assert (alert.status, alert.ends_at) == ("resolved", datetime(2026, 11, 26, 3, 30, tzinfo=UTC))
    assert AlertGroup.objects.get().status == "resolved"
    # The certificate was fetched once and then remembered.
    assert [hit for hit in stand_in.hits if hit.endswith(".pem")] == [
        "/SimpleNotificationService-abc.pem"
    ]


def test_a_bad_signature_is_a_403_and_writes_nothing(
    stand_in: StandIn, signer: Signer, source: tuple[AlertSource, Client]
) -> None:
    _source, client = source
    signed = signer.sign(notification(stand_in, alarm()))
    tampered = {**signed, "Message": alarm("OK")}
    for message in (
        tampered,
        {**signed, "Signature": "bm90IGEgc2lnbmF0dXJl"},
        {**signed, "Signature": "%%%"},
        {**signed, "SignatureVersion": "3"},
        {**signed, "SignatureVersion": "1"},  # signed with SHA256, claimed SHA1
    ):
        response = send(client, message)
        assert response.status_code == 403, message
        assert response.json()["field"] in ("Signature", "SignatureVersion")
    assert not Alert.objects.exists() and not AlertGroup.objects.exists()


def test_a_certificate_outside_sns_is_never_fetched(
    stand_in: StandIn, signer: Signer, source: tuple[AlertSource, Client], settings: Settings
) -> None:
    _source, client = source
    settings.ALERTS_SNS_URL_PATTERN = stand_in.sns_hosts  # SNS hosts only
    response = send(client, signer.sign(notification(stand_in, alarm())))
    assert response.status_code == 403
    assert response.json()["field"] == "SigningCertURL"
    assert stand_in.hits == []
    assert not Alert.objects.exists()


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a1b2.pem", True),
        ("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a1b2.pem", True),
        ("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-a1b2.pem", False),
        ("https://sns.us-east-1.amazonaws.com.evil.example/x.pem", False),
        ("https://evil.example/sns.us-east-1.amazonaws.com/x.pem", False),
        ("https://user@sns.us-east-1.amazonaws.com/x.pem", False),
        ("https://sns.us-east-1.amazonaws.com:8443/x.pem", False),
        ("https://sns.us-east-1.amazonaws.com/x.txt", False),
        ("https://sqs.us-east-1.amazonaws.com/x.pem", False),
        ("https://sns.us-east-1.amazonaws.com\\@evil.example/x.pem", False),
    ],
)
def test_certificate_urls_must_be_on_an_sns_host(url: str, trusted: bool) -> None:
    assert sns.trusted_url(url, suffix=".pem") is trusted


def test_the_subscription_is_confirmed(
    stand_in: StandIn, signer: Signer, source: tuple[AlertSource, Client]
) -> None:
    _source, client = source
    message = signer.sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            "Token": "2336412f37fb687f5d51e6e2425",
            "TopicArn": TOPIC,
            "Message": f"You have chosen to subscribe to the topic {TOPIC}.",
            "SubscribeURL": f"{stand_in.base}/?Action=ConfirmSubscription&Token=2336412f37fb687f5d51e6e2425",
            "Timestamp": "2026-11-26T03:00:00.000Z",
            "SigningCertURL": f"{stand_in.base}/SimpleNotificationService-abc.pem",
        }
    )
    assert send(client, message).status_code == 200
    assert "/?Action=ConfirmSubscription&Token=2336412f37fb687f5d51e6e2425" in stand_in.hits
    assert AuditRecord.objects.filter(action="alert_source.sns_subscribed").exists()
    # A confirmation that does not verify is never followed.
    stand_in.hits.clear()
    forged = {**message, "SubscribeURL": f"{stand_in.base}/?Action=ConfirmSubscription&Token=x"}
    assert send(client, forged).status_code == 403
    assert stand_in.hits == []


def test_without_credentials_sns_is_asked_for_them(
    stand_in: StandIn, signer: Signer, source: tuple[AlertSource, Client]
) -> None:
    body = signer.sign(notification(stand_in, alarm()))
    for client in (
        Client(),
        Client(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hotwash:nope").decode()),
    ):
        response = send(client, body)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith('Basic realm="hotwash"')
        assert "password" in response.json()["message"]
    assert not Alert.objects.exists()


def test_another_topic_is_refused(
    stand_in: StandIn, signer: Signer, source: tuple[AlertSource, Client]
) -> None:
    _source, client = source
    other = notification(stand_in, alarm(), TopicArn="arn:aws:sns:eu-west-1:999999999999:x")
    response = send(client, signer.sign(other))
    assert response.status_code == 403
    assert response.json()["field"] == "TopicArn"
    assert not Alert.objects.exists()


def test_a_message_that_is_not_a_cloudwatch_alarm_is_a_400(
    stand_in: StandIn, signer: Signer, source: tuple[AlertSource, Client]
) -> None:
    _source, client = source
    for message, field in (
        ("hello", "Message"),
        (json.dumps({"AlarmName": "x"}), "Message.NewStateValue"),
    ):
        response = send(client, signer.sign(notification(stand_in, message)))
        assert response.status_code == 400
        assert response.json()["field"] == field
    response = send(client, {"Type": "Notification"})
    assert response.status_code == 400 and response.json()["field"] == "MessageId"
    assert not Alert.objects.exists()


def test_when_sns_cannot_be_reached_it_is_a_502_so_sns_retries(
    stand_in: StandIn, signer: Signer, source: tuple[AlertSource, Client]
) -> None:
    _source, client = source
    stand_in.down = True
    assert send(client, signer.sign(notification(stand_in, alarm()))).status_code == 502
    assert not Alert.objects.exists()
    stand_in.down = False
    assert send(client, signer.sign(notification(stand_in, alarm()))).status_code == 200
