"""PagerDuty Events API v2 stand-in, from PagerDuty's public documentation
("Send an Alert Event", the Events API v2 OpenAPI document, "Events API
Rate Limits").

POST /v2/enqueue with a JSON alert event:
- 202 {"status": "success", "message": "Event processed", "dedup_key"} when
  it is valid (a trigger without dedup_key gets a generated one);
- 400 {"status": "invalid event", "message": "Event object is invalid",
  "errors": [...]} when the routing key is not 32 characters, the
  event_action is missing or unknown, a trigger lacks payload.summary,
  payload.source or a known payload.severity, or a field is too long;
- scripted answers (`fail_next`): 429 with or without Retry-After, 500, or
  a 400 with PagerDuty's error body (`reject_next`).

Accepted events are kept in `events` (the bodies, routing key included) and
applied to `alerts` (dedup_key -> "triggered" | "acknowledged" |
"resolved") as PagerDuty does: a trigger on a resolved alert opens a new
one, an acknowledge or resolve of no open alert is dropped.

From a test: `with PagerDutyStandIn() as pagerduty: ...`; from a bench
script: `pagerduty = PagerDutyStandIn(); pagerduty.start(); ... pagerduty.stop()`,
and point HOTWASH_PAGERDUTY_EVENTS_URL at `pagerduty.events_url`.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from tests.support.tracker_standin import Recorded, Reply, StandIn

ROUTING_KEY_LENGTH = 32
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
SUMMARY_LIMIT = 1024
DEDUP_KEY_LIMIT = 255
INVALID = "Event object is invalid"


class PagerDutyStandIn(StandIn):
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.alerts: dict[tuple[str, str], str] = {}
        self._accepted = threading.Condition()
        super().__init__()

    # --- lifecycle for scripts (tests use `with`) -----------------------------------

    def start(self) -> PagerDutyStandIn:
        return self.__enter__()

    def stop(self) -> None:
        self.__exit__(None, None, None)

    @property
    def events_url(self) -> str:
        return f"{self.url}/v2/enqueue"

    def routes(self) -> None:
        self.route("POST", "/v2/enqueue", self.enqueue)

    def authorised(self, headers: dict[str, str]) -> bool:
        return True  # the routing key in the body is the credential

    # --- scripting -------------------------------------------------------------------

    def rate_limit_next(self, *, retry_after: int | None = None, times: int = 1) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.fail_next(
            429,
            headers=headers,
            body={
                "status": "throttle event",
                "message": "Requests for this service are arriving too quickly.  Please retry later.",
            },
            times=times,
        )

    def reject_next(self, *errors: str) -> None:
        self.fail_next(
            400, body={"status": "invalid event", "message": INVALID, "errors": list(errors)}
        )

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The accepted events, once there are `count` (or at `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._accepted:
            while len(self.events) < count and (left := deadline - time.monotonic()) > 0:
                self._accepted.wait(left)
            return list(self.events)

    # --- API -------------------------------------------------------------------------

    def enqueue(self, request: Recorded) -> Reply:
        event = request.body
        if not isinstance(event, dict):
            return Reply(
                400,
                {
                    "status": "Unrecognized object",
                    "message": "Event object format is unrecognized",
                    "errors": ["JSON parse error"],
                },
            )
        errors = validate(event)
        if errors:
            return Reply(400, {"status": "invalid event", "message": INVALID, "errors": errors})
        action = event["event_action"]
        dedup_key = str(event.get("dedup_key") or uuid.uuid4().hex)
        alert = (event["routing_key"], dedup_key)
        state = self.alerts.get(alert)
        if action == "trigger":
            if state in (None, "resolved"):
                self.alerts[alert] = "triggered"
        elif state in ("triggered", "acknowledged"):
            self.alerts[alert] = "acknowledged" if action == "acknowledge" else "resolved"
        with self._accepted:
            self.events.append(event)
            self._accepted.notify_all()
        return Reply(
            202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
        )

    def state_of(self, dedup_key: str) -> str | None:
        states = [state for (_key, dedup), state in self.alerts.items() if dedup == dedup_key]
        return states[-1] if states else None


def validate(event: dict[str, Any]) -> list[str]:
    """The errors PagerDuty would list for `event`."""
    errors: list[str] = []
    routing_key = event.get("routing_key")
    if not isinstance(routing_key, str) or not routing_key:
        errors.append("'routing_key' is missing or blank")
    elif len(routing_key) != ROUTING_KEY_LENGTH:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    action = event.get("event_action")
    if not action:
        errors.append("'event_action' is missing or blank")
    elif action not in ACTIONS:
        errors.append("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
    dedup_key = event.get("dedup_key")
    if dedup_key is not None and (
        not isinstance(dedup_key, str) or len(dedup_key) > DEDUP_KEY_LIMIT
    ):
        errors.append("'dedup_key' is invalid or too long (maximum 255 characters)")
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append("'dedup_key' is missing or blank")
    if action == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or blank")
        else:
            for field in ("summary", "source", "severity"):
                if not payload.get(field):
                    errors.append(f"'payload.{field}' is missing or blank")
            if payload.get("severity") and payload["severity"] not in SEVERITIES:
                errors.append(
                    "'payload.severity' is invalid (must be one of: critical, error, warning, info)"
                )
            if len(str(payload.get("summary") or "")) > SUMMARY_LIMIT:
                errors.append("'payload.summary' is too long (maximum 1024 characters)")
            if "custom_details" in payload and not isinstance(payload["custom_details"], dict):
                errors.append("'payload.custom_details' must be an object")
        for link in event.get("links") or []:
            if not isinstance(link, dict) or not link.get("href"):
                errors.append("'links' entries need an 'href'")
    return errors
