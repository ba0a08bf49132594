"""The webhook endpoints' refusals (each writes nothing), source tokens,
and `hotwash createtoken --source`."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from pytest_django import Settings

from hotwash.alerts.auth import forget_sources
from hotwash.alerts.models import Alert, AlertGroup, AlertSource
from hotwash.alerts.services import create_source, replace_token
from hotwash.core.models import AuditRecord
from tests.integrations.alertmanager.payloads import am_alert, am_payload
from tests.integrations.generic.payloads import generic_alert, generic_payload

pytestmark = pytest.mark.django_db
AM = "/api/v1/alerts/alertmanager"


@pytest.fixture
def token(db: None) -> str:
    _source, token = create_source(name="prometheus", kind="alertmanager")
    return token


def post(path: str, body: bytes, token: str | None, **headers: Any) -> Any:
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client().post(path, body, content_type="application/json", **headers)


def assert_nothing_written() -> None:
    assert not Alert.objects.exists()
    assert not AlertGroup.objects.exists()


def test_it_accepts_alerts_with_the_sources_token(token: str) -> None:
    response = post(AM, am_payload(am_alert(fingerprint="f1")), token)
    assert response.status_code == 200
    assert response.json()["received"] == 1
    assert AlertSource.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"groupKey": "g", "alerts": [', None),
        (b"", None),
        (b"\xff\xfe", None),
        (json.dumps({"status": "firing", "alerts": []}).encode(), "groupKey"),
        (
            json.dumps(
                {"groupKey": "g", "status": "firing", "alerts": [{"status": "firing"}]}
            ).encode(),
            "alerts[0].labels",
        ),
    ],
)
def test_a_malformed_payload_is_a_400_naming_the_field(
    token: str, body: bytes, field: str | None
) -> None:
    response = post(AM, body, token)
    assert response.status_code == 400
    error = response.json()
    assert set(error) == {"message", "field", "errors"}
    assert error["field"] == field
    if field:
        assert field in error["message"]
    else:
        assert "JSON" in error["message"]
    assert_nothing_written()


def test_a_missing_or_wrong_token_is_a_401(token: str) -> None:
    body = am_payload(am_alert(fingerprint="f1"))
    for response in (
        post(AM, body, None),
        post(AM, body, token + "x"),
        post(AM, body, None, HTTP_AUTHORIZATION=f"Token {token}"),
        post(f"{AM}?token={token}", body, None),  # never in the query string
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "createtoken --source" in response.json()["message"]
    assert_nothing_written()


def test_a_personal_token_is_not_a_source_token(responder_token: str) -> None:
    assert post(AM, am_payload(am_alert()), responder_token).status_code == 401
    assert_nothing_written()


def test_a_token_works_only_on_its_own_kind_of_endpoint(token: str) -> None:
    response = post("/api/v1/alerts/generic", generic_payload(generic_alert("x")), token)
    assert response.status_code == 401
    assert "/api/v1/alerts/alertmanager" in response.json()["message"]
    assert_nothing_written()


def test_a_disabled_source_or_a_replaced_token_is_refused(db: None) -> None:
    source, token = create_source(name="grafana", kind="grafana")
    AlertSource.objects.filter(pk=source.pk).update(enabled=False)
    forget_sources()
    assert post("/api/v1/alerts/grafana", b"{}", token).status_code == 401
    AlertSource.objects.filter(pk=source.pk).update(enabled=True)
    new = replace_token(source)
    assert post("/api/v1/alerts/grafana", b"{}", token).status_code == 401
    assert post("/api/v1/alerts/grafana", b"{}", new).status_code == 400  # past the token
    assert AuditRecord.objects.filter(action="alert_source.token_replaced").count() == 1


def test_a_body_over_the_limit_is_a_413(token: str, settings: Settings) -> None:
    alerts = [am_alert(fingerprint=f"f{i}", instance="x" * 200) for i in range(3000)]
    body = am_payload(*alerts)
    assert len(body) > settings.MAX_BODY_BYTES
    response = post(AM, body, token)
    assert response.status_code == 413
    assert str(settings.MAX_BODY_BYTES) in response.json()["message"]
    settings.MAX_BODY_BYTES = 2048
    assert post(AM, am_payload(*alerts[:20]), token).status_code == 413
    assert_nothing_written()


def test_only_a_digest_of_the_token_is_stored(db: None) -> None:
    source, token = create_source(name="x", kind="sns", allowed_topic_arns=[" arn:a ", ""])
    stored = AlertSource.objects.get()
    assert token.startswith("hwa_") and token not in (stored.digest, stored.prefix)
    assert stored.allowed_topic_arns == ["arn:a"]
    assert AuditRecord.objects.filter(
        action="alert_source.created", object_id=str(source.pk)
    ).exists()


def test_the_webhooks_are_in_the_api_document(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/alerts/generic"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["alerts"]["items"]["properties"]["labels"]["description"]
    assert operation["security"] == [{"AlertSourceToken": []}]
    assert "413" in operation["responses"]
    sns = schema["paths"]["/api/v1/alerts/sns"]["post"]
    assert sns["security"] == [{"AlertSourceBasic": []}]
    assert schema["components"]["securitySchemes"]["AlertSourceBasic"]["scheme"] == "basic"


# --- hotwash createtoken --source -----------------------------------------------------


def createtoken(*args: str) -> str:
    out = StringIO()
    call_command("createtoken", *args, stdout=out)
    return out.getvalue()


def test_createtoken_creates_a_source_and_prints_only_its_token(db: None) -> None:
    token = createtoken("--source", "alertmanager").strip()
    assert token.startswith("hwa_") and "\n" not in token and " " not in token
    source = AlertSource.objects.get()
    assert (source.name, source.kind) == ("alertmanager", "alertmanager")
    assert post(AM, am_payload(am_alert()), token).status_code == 200


def test_createtoken_for_an_existing_source_replaces_its_token(db: None) -> None:
    first = createtoken("--source", "prod-cloudwatch", "--kind", "sns").strip()
    second = createtoken("--source", "prod-cloudwatch").strip()
    assert first != second
    assert AlertSource.objects.count() == 1
    with pytest.raises(CommandError, match="kind sns"):
        createtoken("--source", "prod-cloudwatch", "--kind", "grafana")


def test_createtoken_needs_a_kind_for_a_new_source_with_another_name(db: None) -> None:
    with pytest.raises(CommandError, match="--kind"):
        createtoken("--source", "prod")
    with pytest.raises(CommandError):
        createtoken("amira", "--source", "generic")
    assert not AlertSource.objects.exists()


def test_createtoken_still_makes_personal_tokens(responder: User) -> None:
    assert createtoken("amira").strip().startswith("hw_")


# --- reading groups ------------------------------------------------------------------


def test_groups_can_be_read_with_a_personal_token(token: str, api: Client, responder: User) -> None:
    from hotwash.incidents import services as incidents

    quiet = {"severity": "info"}  # no trigger policy opens an incident for these
    alerts = am_alert(fingerprint="f1", **quiet), am_alert(fingerprint="f2", instance="b", **quiet)
    post(AM, am_payload(*alerts), token)
    group = AlertGroup.objects.get()
    listing = api.get("/api/v1/alerts/groups?status=firing")
    assert listing.status_code == 200
    (item,) = listing.json()["items"]
    assert (item["id"], item["alert_count"], item["firing_count"]) == (group.pk, 2, 2)
    assert item["incident"] is None and item["url"].endswith(f"/alerts/groups/{group.pk}/")
    assert api.get("/api/v1/alerts/groups?status=resolved").json()["items"] == []
    assert api.get("/api/v1/alerts/groups?source=nope").json()["count"] == 0
    assert api.get("/api/v1/alerts/groups?status=burning").status_code == 422
    private = incidents.declare_incident(actor=None, title="Shop down", private=True)
    AlertGroup.objects.update(incident=private)
    # Not a participant: the group is hidden like its incident (issue 9).
    assert api.get(f"/api/v1/alerts/groups/{group.pk}").status_code == 404
    assert api.get("/api/v1/alerts/groups").json()["items"] == []
    incidents.add_participant(private, actor=None, user=responder)
    detail = api.get(f"/api/v1/alerts/groups/{group.pk}").json()
    assert detail["incident"] == private.ref
    assert sorted(alert["fingerprint"] for alert in detail["alerts"]) == ["f1", "f2"]
    assert detail["alerts"][0]["generator_url"].startswith("http://prometheus.example")
    assert api.get("/api/v1/alerts/groups/999999").status_code == 404
    assert Client().get("/api/v1/alerts/groups").status_code == 401
