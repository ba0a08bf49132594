"""Opsgenie Alert API stand-in, from Opsgenie's public documentation
(Alert API: create alert, close alert; authentication; rate limiting).

- POST /v2/alerts: creates (or, for an alias already open, de-duplicates)
  an alert; `message` is required (at most 130 characters), `priority`
  one of P1..P5, `alias` at most 512 characters;
- POST /v2/alerts/{identifier}/close?identifierType=alias|id|tiny: closes it;
- both answer 202 {"result": "Request will be processed", "took",
  "requestId"}, as Opsgenie processes requests asynchronously;
- a request without `Authorization: GenieKey <key>` (the right key) gets
  401; an invalid body 422 {"message", "took", "requestId"};
- scripted answers (`fail_next`): 429 with Retry-After, 500.

`alerts` maps each alias to "open" or "closed".
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.tracker_standin import Recorded, Reply, StandIn, one

MESSAGE_LIMIT = 130
ALIAS_LIMIT = 512
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
IDENTIFIER_TYPES = ("id", "tiny", "alias")


def answer(status: int, **fields: Any) -> Reply:
    return Reply(status, {**fields, "took": 0.01, "requestId": str(uuid.uuid4())})


class OpsgenieStandIn(StandIn):
    def __init__(self, *, api_key: str = "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5") -> None:
        self.api_key = api_key
        self.alerts: dict[str, str] = {}
        super().__init__()

    def routes(self) -> None:
        self.route("POST", "/v2/alerts", self.create)
        self.route("POST", "/v2/alerts/([^/]+)/close", self.close)

    def authorised(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"GenieKey {self.api_key}"

    def _write(self, handler: Any, reply: Reply) -> None:
        if reply.status == 401:  # Opsgenie's own words for a wrong key
            reply = answer(401, message="Could not authenticate")
        super()._write(handler, reply)

    def create(self, request: Recorded) -> Reply:
        body = request.body if isinstance(request.body, dict) else {}
        message = body.get("message")
        if not isinstance(message, str) or not message.strip():
            return answer(422, message="Message can not be empty.")
        if len(message) > MESSAGE_LIMIT:
            return answer(422, message="Message can not be longer than 130 characters.")
        if "priority" in body and body["priority"] not in PRIORITIES:
            return answer(422, message="Priority should be one of [P1, P2, P3, P4, P5]")
        alias = str(body.get("alias") or message)
        if len(alias) > ALIAS_LIMIT:
            return answer(422, message="Alias can not be longer than 512 characters.")
        details = body.get("details", {})
        if not isinstance(details, dict) or not all(isinstance(v, str) for v in details.values()):
            return answer(422, message="Details should be a map of strings.")
        self.alerts[alias] = "open"
        return answer(202, result="Request will be processed")

    def close(self, request: Recorded, identifier: str) -> Reply:
        kind = one(request.query, "identifierType", "id")
        if kind not in IDENTIFIER_TYPES:
            return answer(422, message="Invalid identifierType.")
        if kind == "alias" and identifier in self.alerts:
            self.alerts[identifier] = "closed"
        # Closing an unknown alert is accepted and fails later, asynchronously.
        return answer(202, result="Request will be processed")

    def sent_bodies(self) -> list[tuple[str, dict[str, Any]]]:
        return [(r.path, r.body) for r in self.requests]
