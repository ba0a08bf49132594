"""The event-stream view in process: who may listen, and what a stream says.

Messages are fed straight into the hub here; tests/live/test_stream.py
covers the whole path through a real server and the database."""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from hotwash.incidents.models import Incident
from hotwash.incidents.services import declare_incident
from hotwash.incidents.views.live import version_of
from hotwash.live import bus


def events_url(pk: int) -> str:
    return reverse("live:incident-events", kwargs={"pk": pk})


def parse(chunk: bytes) -> list[dict[str, str]]:
    """The events in a chunk of an event stream, comments left out."""
    events = []
    for block in chunk.decode().split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line and not line.startswith(":"):
                name, _colon, value = line.partition(": ")
                fields[name] = value
        if fields:
            events.append(fields)
    return events


class Stream:
    """An open stream from the test client, closed when the test is done."""

    def __init__(self, response: Any) -> None:
        assert isinstance(response, StreamingHttpResponse), response.content
        self.response = response
        # The live views stream from a plain (sync) generator.
        self.chunks = iter(cast(Iterator[bytes], response.streaming_content))

    def next_chunk(self) -> bytes:
        return bytes(next(self.chunks))

    def close(self) -> None:
        self.response.close()


@pytest.fixture
def open_stream() -> Iterator[Callable[..., Stream]]:
    streams: list[Stream] = []

    def open_(client: Client, pk: int, **headers: Any) -> Stream:
        stream = Stream(client.get(events_url(pk), **headers))
        streams.append(stream)
        return stream

    yield open_
    for stream in streams:
        stream.close()


# --- who may listen ---------------------------------------------------------


def test_it_refuses_a_stream_to_someone_not_signed_in(incident: Incident) -> None:
    response = Client().get(events_url(incident.pk))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["message"]


def test_it_refuses_a_wrong_token_even_with_a_signed_in_session(
    incident: Incident, responder_client: Client
) -> None:
    response = responder_client.get(events_url(incident.pk), HTTP_AUTHORIZATION="Bearer hw_nope")
    assert response.status_code == 401


def test_it_answers_404_for_an_incident_that_does_not_exist(api: Client) -> None:
    assert api.get(events_url(999_999)).status_code == 404
    assert bus.hub.subscriber_count() == 0


def test_it_answers_404_for_someone_elses_private_incident(
    api: Client, other_responder: User
) -> None:
    secret = declare_incident(actor=other_responder, title="Access review", private=True)
    response = api.get(events_url(secret.pk))
    assert response.status_code == 404
    assert "Access review" not in response.content.decode()
    assert bus.hub.subscriber_count() == 0


def test_it_streams_a_private_incident_to_an_admin(
    admin_user: User, other_responder: User, open_stream: Callable[..., Stream]
) -> None:
    secret = declare_incident(actor=other_responder, title="Access review", private=True)
    client = Client()
    client.force_login(admin_user)
    stream = open_stream(client, secret.pk)
    assert parse(stream.next_chunk())[0]["event"] == "ready"


def test_it_streams_to_a_signed_in_browser(
    incident: Incident, responder_client: Client, open_stream: Callable[..., Stream]
) -> None:
    stream = open_stream(responder_client, incident.pk)
    assert parse(stream.next_chunk())[0]["event"] == "ready"


def test_it_streams_to_a_viewer(
    incident: Incident, viewer: User, open_stream: Callable[..., Stream]
) -> None:
    client = Client()
    client.force_login(viewer)
    assert parse(open_stream(client, incident.pk).next_chunk())[0]["event"] == "ready"


def test_it_refuses_more_streams_than_it_has_threads_to_spare(
    incident: Incident, api: Client, open_stream: Callable[..., Stream], settings: Settings
) -> None:
    settings.LIVE_MAX_STREAMS = 1
    open_stream(api, incident.pk)
    response = api.get(events_url(incident.pk))
    assert response.status_code == 503
    assert response["Retry-After"]


# --- what a stream says -------------------------------------------------------


def test_it_opens_with_a_retry_delay_and_a_ready_event_naming_its_events(
    incident: Incident, api: Client, open_stream: Callable[..., Stream]
) -> None:
    stream = open_stream(api, incident.pk)
    assert stream.response["Content-Type"].startswith("text/event-stream")
    assert stream.response["Cache-Control"] == "no-cache"
    assert stream.response["X-Accel-Buffering"] == "no"
    chunk = stream.next_chunk()
    assert chunk.startswith(b"retry: 3000\n")
    ready = parse(chunk)[-1]
    assert ready["event"] == "ready"
    data = json.loads(ready["data"])
    assert data["incident"] == incident.pk
    assert data["version"] == version_of(incident.updated_at)
    assert {"timeline", "updated", "role", "change", "resync"} <= set(data["events"])


def test_it_sends_each_change_to_the_incident_as_an_event(
    incident: Incident, api: Client, open_stream: Callable[..., Stream]
) -> None:
    stream = open_stream(api, incident.pk)
    stream.next_chunk()
    bus.hub.dispatch({"incident": incident.pk + 1, "kind": "updated", "at": "elsewhere"})
    bus.hub.dispatch({"incident": incident.pk, "kind": "timeline", "at": "2026-11-26T03:12:00"})
    [event] = parse(stream.next_chunk())
    assert event["id"] == "1"
    assert event["event"] == "timeline"
    assert json.loads(event["data"]) == {
        "incident": incident.pk,
        "kind": "timeline",
        "at": "2026-11-26T03:12:00",
    }


def test_it_sends_a_burst_of_changes_in_one_write(
    incident: Incident, api: Client, open_stream: Callable[..., Stream]
) -> None:
    stream = open_stream(api, incident.pk)
    stream.next_chunk()
    for kind in ("updated", "timeline", "role"):
        bus.hub.dispatch({"incident": incident.pk, "kind": kind})
    events = parse(stream.next_chunk())
    assert [e["event"] for e in events] == ["updated", "timeline", "role"]
    assert [e["id"] for e in events] == ["1", "2", "3"]


def test_it_sends_an_unlisted_kind_as_a_generic_change(
    incident: Incident, api: Client, open_stream: Callable[..., Stream]
) -> None:
    stream = open_stream(api, incident.pk)
    stream.next_chunk()
    bus.hub.dispatch({"incident": incident.pk, "kind": "postmortem\nevent: injected"})
    [event] = parse(stream.next_chunk())
    assert event["event"] == "change"
    assert json.loads(event["data"])["kind"] == "postmortem\nevent: injected"


def test_it_tells_the_client_to_resynchronise_after_the_listener_reconnects(
    incident: Incident, api: Client, open_stream: Callable[..., Stream]
) -> None:
    stream = open_stream(api, incident.pk)
    stream.next_chunk()
    bus.hub.dispatch_all({"incident": 0, "kind": bus.RESYNC})
    [event] = parse(stream.next_chunk())
    assert event["event"] == "resync"
    assert json.loads(event["data"])["incident"] == incident.pk


def test_it_sends_a_heartbeat_comment_while_nothing_happens(
    incident: Incident, api: Client, open_stream: Callable[..., Stream], settings: Settings
) -> None:
    settings.LIVE_HEARTBEAT_SECONDS = 0.01
    stream = open_stream(api, incident.pk)
    stream.next_chunk()
    chunk = stream.next_chunk()
    assert chunk.startswith(b":")
    assert parse(chunk) == []


def test_it_ends_the_stream_after_its_lifetime_and_unsubscribes(
    incident: Incident, api: Client, settings: Settings
) -> None:
    settings.LIVE_STREAM_SECONDS = 0.05
    settings.LIVE_HEARTBEAT_SECONDS = 0.01
    response = cast(StreamingHttpResponse, api.get(events_url(incident.pk)))
    chunks = list(cast(Iterator[bytes], response.streaming_content))
    assert parse(chunks[0])[-1]["event"] == "ready"
    assert bus.hub.subscriber_count() == 0


def test_it_unsubscribes_when_the_server_closes_the_stream(incident: Incident, api: Client) -> None:
    response = api.get(events_url(incident.pk))
    assert bus.hub.subscriber_count() == 1
    response.close()  # what the server does when a write fails: the client left
    assert bus.hub.subscriber_count() == 0


def test_its_version_is_what_a_page_prints_with_the_date_filter(
    incident: Incident,
) -> None:
    template = Template('{{ incident.updated_at|date:"U.u" }}')
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Chatham")):
        printed = template.render(Context({"incident": incident}))
    assert printed == version_of(incident.updated_at)
