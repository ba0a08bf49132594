from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from hotwash.accounts.services import create_api_token
from hotwash.incidents import services
from hotwash.incidents.models import Incident, TimelineEvent, TimelineKind

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents"


def post(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def patch(client: Client, url: str, data: Any) -> Any:
    return client.patch(url, data, content_type="application/json")


def token_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)}")


# --- declaring -------------------------------------------------------------------


def test_it_declares_an_incident_with_only_a_title(api: Client, responder: User) -> None:
    response = post(api, URL, {"title": "Checkout fails"})

    assert response.status_code == 201
    data = response.json()
    incident = Incident.objects.get()
    assert data["id"] == f"INC-{incident.pk}"
    assert data["number"] == incident.pk
    assert data["title"] == "Checkout fails"
    assert data["status"] == "investigating"
    assert data["severity"] == 3
    assert data["severity_name"] == "Minor"
    assert data["severity_description"]
    assert data["private"] is False
    assert data["detection_source"] == ""  # not told, so not recorded
    assert data["created_by"] == "amira"
    assert data["roles"] == dict.fromkeys(["commander", "scribe", "communications", "operations"])
    assert data["url"] == f"http://testserver/en/incidents/INC-{incident.pk}/"
    assert data["declared_at"].endswith("Z") or "+" in data["declared_at"]
    assert incident.timeline.get().kind == TimelineKind.DECLARED


def test_it_declares_with_every_optional_field(api: Client) -> None:
    started = (timezone.now() - timedelta(minutes=30)).isoformat()
    response = post(
        api,
        URL,
        {
            "title": "Payments slow",
            "severity": "SEV2",
            "status": "triage",
            "summary": "Card payments time out.",
            "impact": "EU customers cannot pay.",
            "services": ["payments", "checkout"],
            "private": True,
            "detection_source": "alert",
            "impact_started_at": started,
            "detected_at": started,
        },
    )

    assert response.status_code == 201
    data = response.json()
    assert data["severity"] == 2
    assert data["severity_label"] == "SEV2"
    assert data["status"] == "triage"
    assert data["services"] == ["checkout", "payments"]
    assert data["private"] is True
    assert data["detection_source"] == "alert"
    assert data["impact"] == "EU customers cannot pay."
    assert data["impact_started_at"] is not None


@pytest.mark.parametrize("severity", [1, "1", "SEV1", "sev1"])
def test_it_accepts_severity_as_a_number_or_a_label(api: Client, severity: Any) -> None:
    response = post(api, URL, {"title": "x", "severity": severity})
    assert response.status_code == 201
    assert response.json()["severity"] == 1


def test_times_are_given_in_the_callers_time_zone(responder: User) -> None:
    responder.profile.timezone = "Europe/Paris"
    responder.profile.save()
    with time_machine.travel("2026-01-15 10:00:00+00:00", tick=False):
        response = post(token_client(responder), URL, {"title": "x"})
    assert response.json()["declared_at"] == "2026-01-15T11:00:00+01:00"


# --- reading ---------------------------------------------------------------------


@pytest.mark.parametrize("form", ["INC-{n}", "inc-{n}", "{n}"])
def test_it_finds_an_incident_by_any_form_of_its_reference(
    api: Client, incident: Incident, form: str
) -> None:
    response = api.get(f"{URL}/{form.format(n=incident.pk)}")
    assert response.status_code == 200
    assert response.json()["id"] == incident.ref


@pytest.mark.parametrize("ref", ["INC-999", "999", "nonsense", "INC-"])
def test_an_unknown_reference_is_a_json_404(api: Client, incident: Incident, ref: str) -> None:
    response = api.get(f"{URL}/{ref}")
    assert response.status_code == 404
    assert response.json()["message"]


def test_it_shows_current_role_holders(
    api: Client, incident: Incident, responder: User, other_responder: User
) -> None:
    services.assign_role(incident, actor=responder, role="commander", user=other_responder)
    roles = api.get(f"{URL}/{incident.ref}").json()["roles"]
    assert roles["commander"] == "sam"
    assert roles["scribe"] is None


# --- changing --------------------------------------------------------------------


def test_a_status_change_writes_the_timeline(api: Client, incident: Incident) -> None:
    response = patch(api, f"{URL}/{incident.ref}", {"status": "monitoring"})

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "monitoring"
    assert data["mitigated_at"] is not None
    entry = TimelineEvent.objects.get(incident=incident, kind=TimelineKind.STATUS)
    assert entry.data == {"field": "status", "from": "investigating", "to": "monitoring"}


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"severity": "SEV1"}, "severity", 1),
        ({"title": "Shop down in the EU"}, "title", "Shop down in the EU"),
        ({"summary": "DNS."}, "summary", "DNS."),
        ({"impact": "No orders."}, "impact", "No orders."),
        ({"services": ["shop"]}, "services", ["shop"]),
        ({"private": True}, "private", True),
        ({"detection_source": "customer"}, "detection_source", "customer"),
    ],
)
def test_it_changes_any_field_and_writes_an_entry(
    api: Client, incident: Incident, changes: dict[str, Any], field: str, expected: Any
) -> None:
    before = incident.timeline.count()
    response = patch(api, f"{URL}/{incident.ref}", changes)
    assert response.status_code == 200
    assert response.json()[field] == expected
    assert incident.timeline.count() == before + 1


def test_it_changes_only_the_fields_sent(api: Client, incident: Incident) -> None:
    started = timezone.now() - timedelta(hours=1)
    services.update_incident(
        incident,
        actor=None,
        changes={"impact_started_at": started, "summary": "Keep me."},
    )
    response = patch(api, f"{URL}/{incident.ref}", {"title": "Renamed"})
    data = response.json()
    assert data["summary"] == "Keep me."
    assert data["impact_started_at"] is not None


def test_null_clears_a_time(api: Client, incident: Incident) -> None:
    started = timezone.now() - timedelta(hours=1)
    services.update_incident(incident, actor=None, changes={"impact_started_at": started})
    response = patch(api, f"{URL}/{incident.ref}", {"impact_started_at": None})
    assert response.status_code == 200
    assert response.json()["impact_started_at"] is None
    incident.refresh_from_db()
    assert incident.impact_started_at is None


def test_sending_current_values_writes_nothing(api: Client, incident: Incident) -> None:
    before = incident.timeline.count()
    response = patch(api, f"{URL}/{incident.ref}", {"severity": 2, "title": "Shop down"})
    assert response.status_code == 200
    assert incident.timeline.count() == before


# --- permissions -----------------------------------------------------------------


def test_it_answers_401_without_a_token(db: None) -> None:
    response = Client().get(URL)
    assert response.status_code == 401
    assert "Bearer" in response.json()["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer ", "Token abc", "Basic Zm9vOmJhcg=="])
def test_it_answers_401_with_a_bad_token(responder: User, header: str) -> None:
    response = Client(HTTP_AUTHORIZATION=header).post(
        URL, {"title": "x"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["message"]
    assert not Incident.objects.exists()


def test_a_bad_token_is_refused_even_with_a_session(responder_client: Client) -> None:
    response = responder_client.get(URL, HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401


def test_a_revoked_token_is_refused(responder: User) -> None:
    client = token_client(responder)
    responder.api_tokens.update(revoked_at=timezone.now())
    assert client.get(URL).status_code == 401


def test_the_browser_session_works_for_reading(responder_client: Client) -> None:
    assert responder_client.get(URL).status_code == 200


def test_session_writes_need_the_csrf_token(responder: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)

    refused = client.post(URL, {"title": "x"}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]
    assert not Incident.objects.exists()

    client.get("/api/v1/docs")  # sets the CSRF cookie, as the docs page does
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        URL, {"title": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201


def test_tokens_need_no_csrf_token(responder: User, responder_token: str) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {responder_token}")
    assert post(client, URL, {"title": "x"}).status_code == 201


def test_viewers_can_read(viewer: User, incident: Incident) -> None:
    client = token_client(viewer)
    assert client.get(URL).json()["count"] == 1
    assert client.get(f"{URL}/{incident.ref}").status_code == 200
    assert client.get(f"{URL}/{incident.ref}/timeline").status_code == 200
    assert client.get(f"{URL}/{incident.ref}/catchup").status_code == 200


WRITES = [
    ("post", "/api/v1/incidents", {"title": "x"}),
    ("patch", "/api/v1/incidents/{ref}", {"status": "resolved"}),
    ("post", "/api/v1/incidents/{ref}/timeline", {"body": "note"}),
    ("put", "/api/v1/incidents/{ref}/roles/commander", {"user": "victor"}),
    ("post", "/api/v1/incidents/{ref}/tasks", {"title": "check"}),
    ("post", "/api/v1/incidents/{ref}/participants", {"user": "victor"}),
]


@pytest.mark.parametrize(("method", "url", "body"), WRITES)
def test_viewers_cannot_write(
    viewer: User, incident: Incident, method: str, url: str, body: dict[str, Any]
) -> None:
    entries = TimelineEvent.objects.count()
    response = getattr(token_client(viewer), method)(
        url.format(ref=incident.ref), body, content_type="application/json"
    )
    assert response.status_code == 403
    assert "responder" in response.json()["message"]
    assert Incident.objects.count() == 1
    assert TimelineEvent.objects.count() == entries


# --- private incidents -----------------------------------------------------------


@pytest.fixture
def secret(responder: User) -> Incident:
    return services.declare_incident(actor=responder, title="Leaked credentials", private=True)


READS = [
    "/api/v1/incidents/{ref}",
    "/api/v1/incidents/{ref}/timeline",
    "/api/v1/incidents/{ref}/catchup",
    "/api/v1/incidents/{ref}/roles",
    "/api/v1/incidents/{ref}/tasks",
    "/api/v1/incidents/{ref}/participants",
]


@pytest.mark.parametrize("url", READS)
def test_a_private_incident_is_404_to_others(
    other_responder: User, secret: Incident, url: str
) -> None:
    response = token_client(other_responder).get(url.format(ref=secret.ref))
    assert response.status_code == 404
    assert response.json()["message"] == f"No incident {secret.ref}."


@pytest.mark.parametrize(("method", "url", "body"), WRITES[1:])
def test_others_cannot_write_to_a_private_incident(
    other_responder: User, secret: Incident, method: str, url: str, body: dict[str, Any]
) -> None:
    entries = TimelineEvent.objects.count()
    response = getattr(token_client(other_responder), method)(
        url.format(ref=secret.ref), body, content_type="application/json"
    )
    assert response.status_code == 404
    assert TimelineEvent.objects.count() == entries


@pytest.mark.parametrize(
    ("who", "sees"),
    [("outsider", False), ("participant", True), ("admin", True), ("declarer", True)],
)
def test_who_sees_a_private_incident(
    responder: User,
    other_responder: User,
    admin_user: User,
    secret: Incident,
    who: str,
    sees: bool,
) -> None:
    public = services.declare_incident(actor=responder, title="Public")
    if who == "participant":
        services.add_participant(secret, actor=responder, user=other_responder)
    user = {
        "outsider": other_responder,
        "participant": other_responder,
        "admin": admin_user,
        "declarer": responder,
    }[who]
    client = token_client(user)

    listed = [item["id"] for item in client.get(URL).json()["items"]]
    assert (secret.ref in listed) is sees
    assert public.ref in listed
    assert (client.get(f"{URL}/{secret.ref}").status_code == 200) is sees


# --- the list --------------------------------------------------------------------


@pytest.fixture
def many(responder: User) -> list[Incident]:
    made = []
    specs = [
        ("Checkout errors", 1, "investigating", ["checkout"]),
        ("Search slow", 3, "monitoring", ["search"]),
        ("Login failures", 2, "resolved", ["auth"]),
        ("Checkout latency", 2, "closed", ["checkout"]),
        ("Disk almost full", 4, "triage", []),
    ]
    for title, severity, status, names in specs:
        made.append(
            services.declare_incident(
                actor=responder, title=title, severity=severity, status=status, services=names
            )
        )
    return made


def titles(response: Any) -> set[str]:
    assert response.status_code == 200, response.json()
    return {item["title"] for item in response.json()["items"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "",
            {
                "Checkout errors",
                "Search slow",
                "Login failures",
                "Checkout latency",
                "Disk almost full",
            },
        ),
        ("status=resolved", {"Login failures"}),
        ("status=resolved&status=closed", {"Login failures", "Checkout latency"}),
        ("status=resolved,closed", {"Login failures", "Checkout latency"}),
        ("status=open", {"Checkout errors", "Search slow", "Disk almost full"}),
        ("severity=2", {"Login failures", "Checkout latency"}),
        ("severity=SEV1,sev4", {"Checkout errors", "Disk almost full"}),
        ("service=checkout", {"Checkout errors", "Checkout latency"}),
        ("q=checkout", {"Checkout errors", "Checkout latency"}),
        ("q=checkout&status=open", {"Checkout errors"}),
    ],
)
def test_it_filters_the_list(
    api: Client, many: list[Incident], query: str, expected: set[str]
) -> None:
    assert titles(api.get(f"{URL}?{query}")) == expected


def test_it_filters_by_date_range(api: Client, responder: User) -> None:
    with time_machine.travel("2026-03-01 12:00:00+00:00"):
        services.declare_incident(actor=responder, title="March")
    with time_machine.travel("2026-04-10 12:00:00+00:00"):
        services.declare_incident(actor=responder, title="April")
    assert titles(api.get(f"{URL}?since=2026-04-01")) == {"April"}
    assert titles(api.get(f"{URL}?until=2026-03-31")) == {"March"}
    assert titles(api.get(f"{URL}?since=2026-03-01&until=2026-03-01")) == {"March"}


def test_it_sorts_the_list(api: Client, many: list[Incident]) -> None:
    newest_first = [item["title"] for item in api.get(URL).json()["items"]]
    assert newest_first[0] == "Disk almost full"
    by_severity = [item["severity"] for item in api.get(f"{URL}?sort=severity").json()["items"]]
    assert by_severity == sorted(by_severity)
    oldest_first = [item["title"] for item in api.get(f"{URL}?sort=declared").json()["items"]]
    assert oldest_first == list(reversed(newest_first))


def test_it_paginates(api: Client, many: list[Incident]) -> None:
    first = api.get(f"{URL}?per_page=2&status=open,resolved,closed").json()
    assert (first["count"], first["count_exact"]) == (5, True)
    assert (first["page"], first["per_page"], len(first["items"])) == (1, 2, 2)
    assert first["previous"] is None
    assert first["next"].startswith("http://testserver/api/v1/incidents?")
    assert "page=2" in first["next"]
    assert "status=open%2Cresolved%2Cclosed" in first["next"]

    second = api.get(first["next"]).json()
    assert len(second["items"]) == 2
    assert "page=1" in second["previous"]
    third = api.get(second["next"]).json()
    assert len(third["items"]) == 1
    assert third["next"] is None
    seen = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert len(set(seen)) == 5

    beyond = api.get(f"{URL}?per_page=2&page=9").json()
    assert beyond["items"] == []
    assert beyond["count"] == 5


def test_a_large_count_is_bounded_and_says_so(
    api: Client, many: list[Incident], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hotwash.core.api.paging.COUNT_LIMIT", 3)
    first = api.get(f"{URL}?per_page=2").json()
    assert (first["count"], first["count_exact"]) == (3, False)
    assert first["next"] is not None
    last = api.get(f"{URL}?per_page=2&page=3").json()
    assert (last["count"], last["count_exact"]) == (5, True)
    assert last["next"] is None
    beyond = api.get(f"{URL}?per_page=2&page=4").json()
    assert (beyond["count"], beyond["count_exact"]) == (3, False)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=201", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("status=sleeping", "status"),
        ("severity=9", "severity"),
        ("since=yesterday", "since"),
        ("until=2026-13-01", "until"),
        ("sort=random", "sort"),
    ],
)
def test_bad_list_parameters_are_422_naming_them(
    api: Client, many: list[Incident], query: str, field: str
) -> None:
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["message"]


def test_the_list_takes_a_fixed_number_of_queries(
    api: Client,
    responder: User,
    other_responder: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    def declare(count: int) -> None:
        for index in range(count):
            incident = services.declare_incident(
                actor=responder, title=f"Incident {index}", services=["shop", f"svc-{index}"]
            )
            services.assign_role(incident, actor=responder, role="commander", user=other_responder)

    declare(2)
    api.get(URL)  # the token's last-used time is written once, not measured
    with django_assert_max_num_queries(6) as few:
        assert len(api.get(URL).json()["items"]) == 2
    # Read now: the next request resets the connection's query log.
    limit = len(few.captured_queries)
    declare(20)
    api.get(URL)  # again: on a busy machine a minute may have passed (once a minute)
    with django_assert_max_num_queries(limit):
        response = api.get(URL).json()
    assert len(response["items"]) == 22
    assert all(item["roles"]["commander"] == "sam" for item in response["items"])
    assert all("shop" in item["services"] for item in response["items"])


# --- reference data --------------------------------------------------------------


def test_it_lists_severities_in_the_requested_language(api: Client) -> None:
    english = api.get("/api/v1/severities").json()
    assert [level["level"] for level in english] == [1, 2, 3, 4]
    assert english[0]["name"] == "Critical"
    assert english[0]["label"] == "SEV1"
    french = api.get("/api/v1/severities", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert french[0]["name"] == "Critique"
    assert french[0]["description"] != english[0]["description"]


def test_the_requested_language_is_honoured(api: Client, incident: Incident) -> None:
    response = api.get(f"{URL}/{incident.ref}", HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Content-Language"] == "fr"
    data = response.json()
    assert data["severity_name"] == "Majeur"
    assert data["url"].startswith("http://testserver/fr/")


@pytest.mark.parametrize(
    ("fixture", "role"), [("responder", "responder"), ("viewer", "viewer"), ("admin_user", "admin")]
)
def test_me_says_who_the_token_belongs_to(request: Any, fixture: str, role: str) -> None:
    user = request.getfixturevalue(fixture)
    data = token_client(user).get("/api/v1/me").json()
    assert data["username"] == user.username
    assert data["role"] == role
    assert data["timezone"] == "UTC"
