"""Smaller leaks of private incidents, closed (issue 9, item 7):

- heartbeats named a private incident's reference to people who cannot
  see it (API and the trigger page);
- an alert group that opened (or joined) a private incident showed its
  labels and annotations to every viewer (API and pages);
- one person could hold every live-update slot of a server process;
- a live stream went on announcing changes for up to its whole lifetime
  after its incident turned private.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import time_machine
from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from django.test import Client
from pytest_django import Settings

from hotwash.accounts.services import create_api_token
from hotwash.alerts.models import AlertGroup, AlertSource
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident
from hotwash.live import bus
from hotwash.triggers import services as triggers
from tests.support import triggers as support
from tests.support.triggers import T0, alert, send

_fresh_claims, source, policy_file = support._fresh_claims, support.source, support.policy_file

SECRET_LABEL = "ledger-eu-7"
SECRET_NOTE = "Customer ledger rows deleted by the nightly purge"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)}")


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    return client_for(admin_user)


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    return client_for(viewer)


# --- heartbeats and change events -------------------------------------------------

HEARTBEATS = """
heartbeats:
  - name: nightly-backup
    period: 1h
    grace: 10m
    service: backups
"""


@pytest.fixture
def silent_heartbeat_incident(
    db: None, policy_file: Callable[[str], Path], responder: User
) -> Iterator[Incident]:
    """A heartbeat whose outage opened an incident, then made private."""
    policy_file(HEARTBEATS)
    with time_machine.travel(T0, tick=False) as clock:
        triggers.ping("nightly-backup", actor=responder)
        clock.move_to(T0 + timedelta(hours=2))
        assert triggers.run_checks().silent == ["nightly-backup"]
        incident = Incident.objects.get()
        incidents.update_incident(incident, actor=None, changes={"private": True})
        yield incident


@pytest.mark.django_db
def test_the_heartbeat_list_hides_a_private_incident_from_those_who_cannot_see_it(
    silent_heartbeat_incident: Incident, viewer: User, admin_user: User
) -> None:
    ref = silent_heartbeat_incident.ref
    listed = token_client(viewer).get("/api/v1/heartbeats")
    assert listed.status_code == 200
    row = {h["name"]: h for h in listed.json()}["nightly-backup"]
    assert row["status"] == "silent"
    assert row["incident"] is None
    assert ref not in listed.content.decode()
    for_admin = {h["name"]: h for h in token_client(admin_user).get("/api/v1/heartbeats").json()}
    assert for_admin["nightly-backup"]["incident"] == ref


@pytest.mark.django_db
def test_a_ping_does_not_name_a_private_incident_to_the_responder_pinging(
    silent_heartbeat_incident: Incident, other_responder: User
) -> None:
    # The outage is over (ended by a job without an account); the heartbeat
    # still names the incident of its last outage.
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        triggers.ping("nightly-backup", actor=None)
    with time_machine.travel(T0 + timedelta(hours=3, minutes=5), tick=False):
        response = token_client(other_responder).post("/api/v1/heartbeats/nightly-backup")
    assert response.status_code == 200
    assert response.json()["incident"] is None
    assert silent_heartbeat_incident.ref not in response.content.decode()


@pytest.mark.django_db
def test_the_trigger_page_hides_a_private_incident_of_a_heartbeat(
    silent_heartbeat_incident: Incident, viewer_client: Client, admin_client: Client
) -> None:
    ref = silent_heartbeat_incident.ref
    html = viewer_client.get("/en/triggers/").content.decode()
    assert "nightly-backup" in html
    assert ref not in html
    assert ref in admin_client.get("/en/triggers/").content.decode()


# --- alert groups -----------------------------------------------------------------


@pytest.fixture
def private_group(source: AlertSource) -> AlertGroup:
    """A data-loss alert: the shipped policy opens a private incident."""
    with time_machine.travel(T0, tick=False):
        send(
            source,
            alert(
                "LedgerRowsMissing",
                service="billing",
                category="data-loss",
                severity="critical",
                database=SECRET_LABEL,
                summary=SECRET_NOTE,
            ),
        )
    group = AlertGroup.objects.get()
    assert group.incident is not None and group.incident.private
    return group


@pytest.fixture
def public_group(source: AlertSource) -> AlertGroup:
    with time_machine.travel(T0, tick=False):
        send(source, alert("DiskFull", group="disk", service="shop", severity="info"))
    return AlertGroup.objects.get(group_key="disk")


def _leaks(text: str, group: AlertGroup) -> bool:
    assert group.incident is not None
    return any(
        secret in text
        for secret in (SECRET_LABEL, SECRET_NOTE, "LedgerRowsMissing", group.incident.ref)
    )


@pytest.mark.django_db
def test_the_api_hides_an_alert_group_of_a_private_incident(
    private_group: AlertGroup, public_group: AlertGroup, viewer: User, responder: User
) -> None:
    for person in (viewer, responder):
        client = token_client(person)
        listed = client.get("/api/v1/alerts/groups")
        assert listed.status_code == 200
        assert [item["id"] for item in listed.json()["items"]] == [public_group.pk]
        assert listed.json()["count"] == 1
        assert not _leaks(listed.content.decode(), private_group)
        detail = client.get(f"/api/v1/alerts/groups/{private_group.pk}")
        assert detail.status_code == 404
        assert not _leaks(detail.content.decode(), private_group)
        # Not found reads exactly like a group that does not exist.
        missing = client.get("/api/v1/alerts/groups/999999")
        assert detail.json()["message"].replace(str(private_group.pk), "N") == missing.json()[
            "message"
        ].replace("999999", "N")


@pytest.mark.django_db
def test_the_api_shows_an_alert_group_of_a_private_incident_to_those_who_can_see_it(
    private_group: AlertGroup, admin_user: User
) -> None:
    client = token_client(admin_user)
    detail = client.get(f"/api/v1/alerts/groups/{private_group.pk}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["labels"]["alertname"] == "LedgerRowsMissing"
    assert body["alerts"][0]["annotations"]["summary"] == SECRET_NOTE
    assert body["incident"] == private_group.incident.ref  # type: ignore[union-attr]
    assert len(client.get("/api/v1/alerts/groups").json()["items"]) == 1


@pytest.mark.django_db
def test_the_pages_hide_an_alert_group_of_a_private_incident(
    private_group: AlertGroup, public_group: AlertGroup, viewer_client: Client, admin_client: Client
) -> None:
    listed = viewer_client.get("/en/alerts/")
    assert listed.status_code == 200
    html = listed.content.decode()
    assert "DiskFull" in html
    assert not _leaks(html, private_group)
    detail = viewer_client.get(f"/en/alerts/groups/{private_group.pk}/")
    assert detail.status_code == 404
    assert not _leaks(detail.content.decode(), private_group)
    assert (
        SECRET_NOTE in admin_client.get(f"/en/alerts/groups/{private_group.pk}/").content.decode()
    )
    assert "LedgerRowsMissing" in admin_client.get("/en/alerts/").content.decode()


@pytest.mark.django_db
def test_a_group_is_hidden_once_its_incident_turns_private(
    public_group: AlertGroup, responder: User, viewer_client: Client
) -> None:
    incident = incidents.declare_incident(actor=responder, title="Disk full")
    AlertGroup.objects.filter(pk=public_group.pk).update(incident=incident)
    assert viewer_client.get(f"/en/alerts/groups/{public_group.pk}/").status_code == 200
    incidents.update_incident(incident, actor=responder, changes={"private": True})
    assert viewer_client.get(f"/en/alerts/groups/{public_group.pk}/").status_code == 404


# --- live streams: a cap per person -------------------------------------------------


def events_url(incident: Incident) -> str:
    return f"/live/incidents/{incident.pk}/events"


class Streams:
    """Streams opened by a test, closed at its end."""

    def __init__(self) -> None:
        self.opened: list[Any] = []

    def open(self, client: Client, incident: Incident, **headers: Any) -> Any:
        response = client.get(events_url(incident), **headers)
        if isinstance(response, StreamingHttpResponse):
            self.opened.append(response)
        return response

    def close(self) -> None:
        for response in self.opened:
            response.close()


@pytest.fixture
def streams() -> Iterator[Streams]:
    opened = Streams()
    yield opened
    opened.close()


@pytest.mark.django_db(transaction=True)  # closing a stream ends its request
def test_one_person_cannot_hold_more_streams_than_their_share(
    incident: Incident, viewer: User, other_responder: User, streams: Streams, settings: Settings
) -> None:
    settings.LIVE_STREAMS_PER_PERSON = 2
    browser = client_for(viewer)
    assert streams.open(browser, incident).status_code == 200
    assert streams.open(token_client(viewer), incident).status_code == 200
    refused = streams.open(browser, incident)
    assert refused.status_code == 429
    body = refused.json()
    assert body["message"]
    assert body["errors"] == [{"field": None, "message": body["message"]}]
    assert refused["Retry-After"]
    assert bus.hub.subscriber_count() == 2
    # Someone else still gets one, and a freed slot can be taken again.
    assert streams.open(client_for(other_responder), incident).status_code == 200
    streams.opened[0].close()
    assert streams.open(browser, incident).status_code == 200


@pytest.mark.django_db
def test_the_cap_for_the_whole_process_still_holds(
    incident: Incident, viewer: User, other_responder: User, streams: Streams, settings: Settings
) -> None:
    settings.LIVE_MAX_STREAMS = 2
    settings.LIVE_STREAMS_PER_PERSON = 5
    assert streams.open(client_for(viewer), incident).status_code == 200
    assert streams.open(client_for(other_responder), incident).status_code == 200
    assert streams.open(client_for(viewer), incident).status_code == 503


def test_the_setting_has_a_sensible_default() -> None:
    from django.conf import settings

    assert 5 <= settings.LIVE_STREAMS_PER_PERSON <= 10


def test_the_setting_comes_from_the_environment() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
            "'hotwash.settings'); django.setup(); from django.conf import settings; "
            "print(settings.LIVE_STREAMS_PER_PERSON)",
        ],
        env={**__import__("os").environ, "HOTWASH_LIVE_STREAMS_PER_PERSON": "3"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "3", result.stderr


# --- live streams: turning private ----------------------------------------------------


def events_in(chunks: list[bytes]) -> list[str]:
    names = []
    for chunk in chunks:
        for line in chunk.decode().splitlines():
            if line.startswith("event: "):
                names.append(line.removeprefix("event: "))
    return names


@pytest.mark.django_db(transaction=True)
def test_a_stream_ends_at_once_when_its_incident_turns_private(
    viewer: User, responder: User, admin_user: User, settings: Settings
) -> None:
    settings.LIVE_STREAM_SECONDS = 5
    settings.LIVE_HEARTBEAT_SECONDS = 1
    incident = incidents.declare_incident(actor=responder, title="Access review")
    outsider = cast(StreamingHttpResponse, client_for(viewer).get(events_url(incident)))
    insider = cast(StreamingHttpResponse, client_for(admin_user).get(events_url(incident)))
    try:
        # The live views stream from a plain (sync) generator.
        outsider_chunks = iter(cast(Iterator[bytes], outsider.streaming_content))
        insider_chunks = iter(cast(Iterator[bytes], insider.streaming_content))
        assert events_in([next(outsider_chunks)]) == ["ready"]
        assert events_in([next(insider_chunks)]) == ["ready"]

        incidents.update_incident(incident, actor=responder, changes={"private": True})

        # The outsider hears nothing more: their stream is over.
        rest = list(outsider_chunks)
        assert [name for name in events_in(rest) if name != "ready"] == []
        assert not any(b"data:" in chunk for chunk in rest)
        # Someone who can still see it goes on hearing about it.
        heard: list[str] = []
        for chunk in insider_chunks:
            heard += events_in([chunk])
            if heard:
                break
        assert heard and heard[0] in ("visibility", "updated")
        assert bus.hub.subscriber_count() == 1
    finally:
        outsider.close()
        insider.close()
    assert bus.hub.subscriber_count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_stream_goes_on_when_its_incident_turns_public(
    responder: User, settings: Settings
) -> None:
    settings.LIVE_STREAM_SECONDS = 5
    settings.LIVE_HEARTBEAT_SECONDS = 1
    incident = incidents.declare_incident(actor=responder, title="Access review", private=True)
    stream = cast(StreamingHttpResponse, client_for(responder).get(events_url(incident)))
    try:
        chunks = iter(cast(Iterator[bytes], stream.streaming_content))
        next(chunks)
        incidents.update_incident(incident, actor=responder, changes={"private": False})
        heard: list[str] = []
        for chunk in chunks:
            heard += events_in([chunk])
            if heard:
                break
        assert heard == ["updated"]
    finally:
        stream.close()


@pytest.mark.django_db
def test_each_person_who_cannot_see_it_is_dropped_participants_stay(
    incident: Incident, viewer: User, responder: User, streams: Streams
) -> None:
    """The check made on a visibility message, without the database's own
    delivery: a participant's stream stays, a viewer's ends."""
    outsider = streams.open(client_for(viewer), incident)
    participant = streams.open(client_for(responder), incident)
    outsider_chunks = iter(outsider.streaming_content)
    participant_chunks = iter(participant.streaming_content)
    next(outsider_chunks)
    next(participant_chunks)
    Incident.objects.filter(pk=incident.pk).update(private=True)
    bus.hub.dispatch({"incident": incident.pk, "kind": bus.VISIBILITY})
    bus.hub.dispatch({"incident": incident.pk, "kind": "updated"})
    assert list(outsider_chunks) == []
    assert events_in([next(participant_chunks)]) == [bus.VISIBILITY, "updated"]
