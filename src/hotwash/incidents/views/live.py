"""Server-sent event streams: "incident 42 changed", as it happens.

A stream is a streaming WSGI response whose iterator holds one server thread
while it waits on a hub queue (see `hotwash serve`). It sends only what kind
of change happened; browsers re-read the page, so each person sees what they
may see, in their own language and time zone.

Visibility is checked when the stream opens, and again whenever the
incident's visibility changes (it turned private): a reader who may no
longer see it has their stream ended at once, without a word more about
the incident; the browser's reconnection then gets 404 like anyone else's.

Each process holds at most `stream_limit()` streams, and one person at most
LIVE_STREAMS_PER_PERSON of them, so nobody can take every slot.
"""

from __future__ import annotations

import contextlib
import json
import queue
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from hotwash.core.api.errors import error_json
from hotwash.core.errors import NotFound
from hotwash.incidents.queries import get_incident
from hotwash.live import bus
from hotwash.live.auth import request_user

# Milliseconds a browser waits before reconnecting after a stream ends.
RETRY_MS = 3000
GENERIC_EVENT = "change"
EVENT_NAMES = (*bus.KINDS, GENERIC_EVENT, bus.RESYNC)


def version_of(updated_at: Any) -> str:
    """An incident's version as pages print it (`{{ incident.updated_at|date:"U.u" }}`)."""
    return dateformat.format(updated_at, "U.u")


@require_GET
def incident_events(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = request_user(request)
    if user is None:
        response = error_json(401, _("Sign in, or send an API token as “Authorization: Bearer …”."))
        response["WWW-Authenticate"] = 'Bearer realm="hotwash"'
        return response
    # Subscribe, and have the PostgreSQL listener in place, before reading the
    # incident: its version then predates anything the stream will announce,
    # so nothing can slip between the version the client gets and its first
    # event.
    try:
        stream = EventStream(pk, user)
    except bus.HubFull as full:
        return _refused(full)
    try:
        bus.ensure_listener()
        incident = get_incident(user, pk)
    except NotFound as error:
        stream.close()
        return error_json(404, error.message)
    except BaseException:
        stream.close()
        raise
    stream.version = version_of(incident.updated_at)
    release_database_connection()
    streaming = StreamingHttpResponse(stream, content_type="text/event-stream")
    streaming["Cache-Control"] = "no-cache"
    # nginx and similar proxies would otherwise hold events back in a buffer.
    streaming["X-Accel-Buffering"] = "no"
    return streaming


def _refused(full: bus.HubFull) -> HttpResponseBase:
    if full.per_owner:
        count = streams_per_person()
        response = error_json(
            429,
            ngettext(
                "You already have %(count)d live connection open, the most one person may "
                "have; close some pages or tabs, then try again.",
                "You already have %(count)d live connections open, the most one person may "
                "have; close some pages or tabs, then try again.",
                count,
            )
            % {"count": count},
        )
    else:
        response = error_json(503, _("Too many live connections right now; try again shortly."))
    response["Retry-After"] = "10"
    return response


def streams_per_person() -> int:
    """Streams one person may hold in one process (HOTWASH_LIVE_STREAMS_PER_PERSON)."""
    return max(1, int(getattr(settings, "LIVE_STREAMS_PER_PERSON", 10)))


def stream_limit() -> int:
    """Streams one process holds at most, leaving threads free for pages and
    the API: each stream occupies one of the server's threads."""
    configured = getattr(settings, "LIVE_MAX_STREAMS", None)
    if configured:
        return int(configured)
    threads = int(settings.SERVER_THREADS)
    return max(1, threads - max(4, threads // 8))


def release_database_connection() -> None:
    """Give this thread's database connection back before a long wait: a
    stream reads nothing more, and a hundred idle streams must not hold a
    hundred connections. Inside a transaction (tests) closing would break it."""
    if not connection.in_atomic_block:
        connection.close()


class EventStream:
    """The body of one event stream: an iterator of byte chunks.

    It subscribes when created and unsubscribes in close(), which the WSGI
    server calls when the stream ends, when the client has gone (a failed
    write, at the latest on the next heartbeat) or when it never started."""

    def __init__(self, incident_id: int, user: User) -> None:
        self.incident_id = incident_id
        self.user = user
        self.version = ""
        self._exit = contextlib.ExitStack()
        self._inbox = self._exit.enter_context(
            bus.hub.subscribe(
                incident_id,
                owner=user.pk,
                max_total=stream_limit(),
                max_per_owner=streams_per_person(),
            )
        )
        self._deadline = time.monotonic() + settings.LIVE_STREAM_SECONDS
        self._heartbeat = float(settings.LIVE_HEARTBEAT_SECONDS)
        self._sequence = 0
        self._started = False

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> bytes:
        if not self._started:
            self._started = True
            # Anything that reopened a connection after the view (middleware)
            # is released here too: this runs on the thread that will wait.
            release_database_connection()
            return self._preamble()
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise StopIteration
        try:
            first = self._inbox.get(timeout=min(self._heartbeat, remaining))
        except queue.Empty:
            if time.monotonic() >= self._deadline:
                raise StopIteration from None
            # A comment line: keeps proxies from timing the stream out, and a
            # failed write is how the server notices the client has gone.
            return b": keep-alive\n\n"
        # Coalesce a burst: everything already queued goes out in one write.
        messages = [first]
        with contextlib.suppress(queue.Empty):
            while True:
                messages.append(self._inbox.get_nowait())
        if any(m.get("kind") == bus.VISIBILITY for m in messages) and not self._still_visible():
            self.close()
            raise StopIteration
        return b"".join(self._event(message) for message in messages)

    def _still_visible(self) -> bool:
        """Whether the reader may still see the incident, read afresh."""
        try:
            get_incident(self.user, self.incident_id)
        except NotFound:
            return False
        finally:
            release_database_connection()
        return True

    def close(self) -> None:
        self._exit.close()

    def _preamble(self) -> bytes:
        ready = {"incident": self.incident_id, "version": self.version, "events": EVENT_NAMES}
        return f"retry: {RETRY_MS}\nevent: ready\ndata: {json.dumps(ready)}\n\n".encode()

    def _event(self, message: dict[str, Any]) -> bytes:
        kind = str(message.get("kind", ""))
        # Browsers only hear event names they listen for; an unlisted kind
        # still arrives, as "change", with its own kind in the data.
        event = kind if kind in EVENT_NAMES else GENERIC_EVENT
        data = {
            "incident": self.incident_id,
            "kind": kind,
            "at": message.get("at") or timezone.now().isoformat(),
        }
        self._sequence += 1
        return f"id: {self._sequence}\nevent: {event}\ndata: {json.dumps(data)}\n\n".encode()
