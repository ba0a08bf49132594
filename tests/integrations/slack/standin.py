"""Slack Web API stand-in, from Slack's public method reference
(docs.slack.dev/reference/methods/<method>, formerly api.slack.com/methods),
"Web API basics", "Pagination", "Rate limits" and "Verifying requests from
Slack".

POST https://slack.com/api/<method>, here `{url}/api/<method>`:
- the token in `Authorization: Bearer xoxb-...` (or a `token` argument);
  any other gets HTTP 200 {"ok": false, "error": "invalid_auth"} (or
  "not_authed" without one), as Slack answers;
- arguments form-encoded (application/x-www-form-urlencoded, what
  slack_sdk sends with `data=`), JSON (application/json, `json=`), or in
  the query string;
- every answer is HTTP 200 {"ok": true, ...} or {"ok": false, "error"};
- cursor pagination (`cursor`, `limit`, `response_metadata.next_cursor`)
  for conversations.history and conversations.replies, as documented;
- scripted failures (`rate_limit_next`: HTTP 429 with Retry-After and
  {"ok": false, "error": "ratelimited"}; `fail_method_next`: an HTTP 5xx
  or an `ok: false` error name) for one method.

Methods: chat.postMessage, chat.postEphemeral, chat.getPermalink, conversations.create,
conversations.invite, conversations.setTopic, conversations.history,
conversations.replies, views.open, users.info, users.lookupByEmail.

A slash command's response_url (POST /commands/<team>/<id>/<secret>, a
JSON message) answers "ok" and keeps the message in `responses`.

Slack's side of the requests it sends Hotwash (slash commands, events,
interactivity): `signed_headers` signs a body as Slack does (v0,
HMAC-SHA256 of "v0:<timestamp>:<body>" with the signing secret), and
`command`, `event` and `interaction` build the documented payloads.

From a test: `with SlackStandIn() as slack: ...`; point
HOTWASH_SLACK_API_URL at `slack.api_url` and HOTWASH_SLACK_BOT_TOKEN at
`slack.token`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx

from tests.support.tracker_standin import Recorded, Reply, StandIn

TOKEN = "xoxb-000000000000-000000000000-standinstandinstandin00"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0HOTWASH"
BOT_USER = "UBOTHOTWASH"
WORKSPACE_URL = "https://hotwash-test.slack.com"
# conversations.create's documented naming rule.
CHANNEL_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")
TOPIC_LIMIT = 250
MODAL_TITLE_LIMIT = 24
MODAL_BLOCKS_LIMIT = 100
DEFAULT_PAGE = 100


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    creator: str
    topic: str = ""
    members: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Call:
    """One Web API call: its method and arguments."""

    method: str
    args: dict[str, Any]
    token: str


class SlackStandIn(StandIn):
    def __init__(self, *, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.views: list[dict[str, Any]] = []
        # Messages only one person saw (chat.postEphemeral).
        self.ephemeral: list[dict[str, str]] = []
        # What Hotwash answered through slash commands' response_url.
        self.responses: list[dict[str, Any]] = []
        self.triggers: set[str] = set()
        self._failures: dict[str, deque[Reply]] = {}
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)
        super().__init__()
        self.add_user(BOT_USER, "hotwash", "Hotwash", email="", is_bot=True)

    def start(self) -> SlackStandIn:
        return self.__enter__()

    def stop(self) -> None:
        self.__exit__(None, None, None)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def response_url(self) -> str:
        """A slash command's response_url (Slack's are
        https://hooks.slack.com/commands/<team>/<id>/<secret>)."""
        return f"{self.url}/commands/{TEAM}/{next(self._ids)}/standinresponsesecret"

    def routes(self) -> None:
        self.route("POST", r"/api/([a-zA-Z.]+)", self.api)
        self.route("POST", r"/commands/([A-Z0-9]+)/([0-9]+)/([a-zA-Z0-9]+)", self.command_response)
        self.route("GET", r"/api/([a-zA-Z.]+)", self.api)

    def authorised(self, headers: dict[str, str]) -> bool:
        return True  # Slack answers a bad token with HTTP 200 and ok:false (see api)

    # --- the workspace, as tests set it up --------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str,
        *,
        email: str,
        is_bot: bool = False,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        profile: dict[str, Any] = {"real_name": real_name, "display_name": name}
        if email:
            profile["email"] = email  # needs users:read.email
        user = {
            "id": user_id,
            "team_id": TEAM,
            "name": name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": is_bot,
            "is_email_confirmed": bool(email),
            "profile": profile,
            "locale": locale,  # given by users.info with include_locale=true
        }
        self.users[user_id] = user
        return user

    def add_channel(self, name: str, *, members: list[str] | None = None) -> Channel:
        channel = Channel(
            self._id("C"), name, False, BOT_USER, members=[BOT_USER, *(members or [])]
        )
        self.channels[channel.id] = channel
        return channel

    def post(
        self,
        channel_id: str,
        text: str,
        *,
        user: str,
        thread_ts: str = "",
        files: list[dict[str, Any]] | None = None,
        ts: str = "",
    ) -> str:
        """A person's message in a channel; its ts."""
        ts = ts or self._ts()
        message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts}
        if thread_ts:
            message["thread_ts"] = thread_ts
        if files:
            message["files"] = files
        channel = self.channels[channel_id]
        channel.messages.append(message)
        channel.messages.sort(key=lambda m: float(m["ts"]))
        return ts

    def channel_named(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name), None)

    def called(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    # --- scripting ----------------------------------------------------------------------

    def rate_limit_next(self, method: str, *, retry_after: int = 30, times: int = 1) -> None:
        for _ in range(times):
            self._script_failure(
                method,
                Reply(
                    429,
                    {"ok": False, "error": "ratelimited"},
                    {"Retry-After": str(retry_after)},
                ),
            )

    def fail_method_next(self, method: str, *, status: int = 200, error: str = "") -> None:
        """The next call of `method` answers HTTP `status` (a 5xx: Slack is
        down) or, with 200, {"ok": false, "error": error}."""
        body: Any = {"ok": False, "error": error} if status == 200 else "<html>Bad gateway</html>"
        self._script_failure(method, Reply(status, body))

    def _script_failure(self, method: str, reply: Reply) -> None:
        with self._lock:
            self._failures.setdefault(method, deque()).append(reply)

    # --- the Web API --------------------------------------------------------------------

    def api(self, request: Recorded, method: str) -> Reply:
        args = arguments(request)
        token = bearer(request.headers) or str(args.pop("token", ""))
        self.calls.append(Call(method, args, token))
        scripted = self._failures.get(method)
        if scripted:
            return scripted.popleft()
        if not token:
            return error("not_authed")
        if token != self.token:
            return error("invalid_auth")
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return error("unknown_method")
        reply: Reply = handler(args)
        return reply

    def m_chat_postMessage(self, args: dict[str, Any]) -> Reply:
        channel = self._channel(str(args.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        if BOT_USER not in channel.members:
            return error("not_in_channel")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return error("no_text")
        ts = self._ts()
        message = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": "BHOTWASH",
            "text": str(args.get("text") or ""),
            "ts": ts,
        }
        channel.messages.append(message)
        return ok(channel=channel.id, ts=ts, message=message)

    def m_chat_postEphemeral(self, args: dict[str, Any]) -> Reply:
        channel = self._channel(str(args.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        user = str(args.get("user") or "")
        if user not in self.users:
            return error("user_not_found")
        if user not in channel.members:
            return error("user_not_in_channel")
        if not (args.get("text") or args.get("blocks")):
            return error("no_text")
        self.ephemeral.append(
            {"channel": channel.id, "user": user, "text": str(args.get("text") or "")}
        )
        return ok(message_ts=self._ts())

    def m_chat_getPermalink(self, args: dict[str, Any]) -> Reply:
        channel = self._channel(str(args.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        ts = str(args.get("message_ts") or "")
        if not any(m["ts"] == ts for m in channel.messages):
            return error("message_not_found")
        link = f"{WORKSPACE_URL}/archives/{channel.id}/p{ts.replace('.', '')}"
        return ok(channel=channel.id, permalink=link)

    def m_conversations_create(self, args: dict[str, Any]) -> Reply:
        name = str(args.get("name") or "")
        if not name:
            return error("invalid_name_required")
        if len(name) > 80:
            return error("invalid_name_maxlength")
        if not CHANNEL_NAME.match(name):
            return error("invalid_name_specials")
        if self.channel_named(name) is not None:
            return error("name_taken")
        private = str(args.get("is_private", "")).lower() in ("true", "1")
        channel = Channel(
            self._id("G" if private else "C"), name, private, BOT_USER, members=[BOT_USER]
        )
        self.channels[channel.id] = channel
        return ok(channel=self._describe(channel))

    def m_conversations_invite(self, args: dict[str, Any]) -> Reply:
        channel = self.channels.get(str(args.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        if BOT_USER not in channel.members:
            return error("not_in_channel")
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            return error("no_user")
        for user in users:
            if user == BOT_USER:
                return error("cant_invite_self")
            if user not in self.users:
                return error("user_not_found")
            if user in channel.members:
                return error("already_in_channel")
        channel.members.extend(users)
        return ok(channel=self._describe(channel))

    def m_conversations_setTopic(self, args: dict[str, Any]) -> Reply:
        channel = self.channels.get(str(args.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        topic = str(args.get("topic") or "")
        if len(topic) > TOPIC_LIMIT:
            return error("too_long")
        channel.topic = topic
        return ok(channel=self._describe(channel))

    def m_conversations_history(self, args: dict[str, Any]) -> Reply:
        channel = self.channels.get(str(args.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        inclusive = str(args.get("inclusive", "")).lower() in ("true", "1")
        latest = float(args.get("latest") or "inf")
        oldest = float(args.get("oldest") or 0)
        # Channel history only: thread replies stay in their thread.
        found = [
            m
            for m in reversed(channel.messages)
            if m.get("thread_ts") in (None, m["ts"])
            and (
                oldest < float(m["ts"]) < latest
                or (inclusive and float(m["ts"]) in (latest, oldest))
            )
        ]
        return paged(found, args, "messages")

    def m_conversations_replies(self, args: dict[str, Any]) -> Reply:
        channel = self.channels.get(str(args.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        ts = str(args.get("ts") or "")
        message = next((m for m in channel.messages if m["ts"] == ts), None)
        if message is None:
            return error("thread_not_found")
        parent = str(message.get("thread_ts") or ts)
        thread = [m for m in channel.messages if m["ts"] == parent or m.get("thread_ts") == parent]
        return paged(thread, args, "messages")

    def m_views_open(self, args: dict[str, Any]) -> Reply:
        trigger = str(args.get("trigger_id") or "")
        if not trigger or trigger not in self.triggers:
            return error("invalid_trigger_id")
        self.triggers.discard(trigger)  # a trigger opens one view
        view = args.get("view")
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError:
                return error("invalid_arguments")
        if not isinstance(view, dict) or view.get("type") != "modal":
            return error("invalid_arguments")
        title = (view.get("title") or {}).get("text") or ""
        blocks = view.get("blocks") or []
        if not title or len(title) > MODAL_TITLE_LIMIT or len(blocks) > MODAL_BLOCKS_LIMIT:
            return error("invalid_arguments")
        for block in blocks:
            element = block.get("element") or {}
            if "options" in element and not element["options"]:
                return error("invalid_arguments")
        stored = {**view, "id": self._id("V")}
        self.views.append(stored)
        return ok(view=stored)

    def m_users_info(self, args: dict[str, Any]) -> Reply:
        user = self.users.get(str(args.get("user") or ""))
        return ok(user=user) if user else error("user_not_found")

    def m_users_lookupByEmail(self, args: dict[str, Any]) -> Reply:
        email = str(args.get("email") or "").lower()
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == email and email:
                return ok(user=user)
        return error("users_not_found")

    def _write(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if not isinstance(reply.body, str):
            super()._write(handler, reply)
            return
        # A gateway's HTML page, as Slack's edge answers when it is down.
        payload = reply.body.encode()
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def command_response(self, request: Recorded, team: str, number: str, secret: str) -> Reply:
        """A command's response_url: a JSON message (text, response_type);
        Slack answers "ok", or 404 "no_text" / "invalid_payload"."""
        body = request.body
        if not isinstance(body, dict):
            return Reply(400, "invalid_payload")
        if not body.get("text") and not body.get("blocks"):
            return Reply(400, "no_text")
        self.responses.append(body)
        return Reply(200, "ok")

    # --- helpers ------------------------------------------------------------------------

    def _channel(self, key: str) -> Channel | None:
        if key.startswith("#"):
            return self.channel_named(key[1:])
        return self.channels.get(key) or self.channel_named(key)

    def _describe(self, channel: Channel) -> dict[str, Any]:
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": True,
            "is_private": channel.is_private,
            "creator": channel.creator,
            "topic": {"value": channel.topic},
        }

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _ts(self) -> str:
        # Seconds since the epoch with a unique six-digit suffix, as Slack's are.
        return f"{int(time.time())}.{next(self._clock):06d}"

    # --- Slack's requests to Hotwash ------------------------------------------------------

    def trigger(self) -> str:
        """A fresh trigger_id, as a slash command or button gives."""
        trigger = (
            f"{next(self._ids)}.{TEAM}.{hashlib.sha1(str(time.time()).encode()).hexdigest()[:16]}"
        )
        self.triggers.add(trigger)
        return trigger


def bearer(headers: dict[str, str]) -> str:
    value = headers.get("authorization", "")
    return value[7:] if value.lower().startswith("bearer ") else ""


def arguments(request: Recorded) -> dict[str, Any]:
    """The call's arguments from the query string and the body, whichever
    content type it came in."""
    found: dict[str, Any] = {key: values[-1] for key, values in request.query.items()}
    body = request.body
    if isinstance(body, dict):
        found.update(body)
    elif isinstance(body, str) and body:
        found.update({key: values[-1] for key, values in parse_qs(body).items()})
    return found


def ok(**data: Any) -> Reply:
    return Reply(200, {"ok": True, **data})


def error(name: str) -> Reply:
    return Reply(200, {"ok": False, "error": name})


def paged(items: list[dict[str, Any]], args: dict[str, Any], key: str) -> Reply:
    """`limit` items from `cursor` on, and the next page's cursor."""
    limit = max(1, min(1000, int(args.get("limit") or DEFAULT_PAGE)))
    cursor = str(args.get("cursor") or "")
    try:
        start = int(base64.b64decode(cursor).decode().removeprefix("offset:")) if cursor else 0
    except ValueError:
        return error("invalid_cursor")
    page = items[start : start + limit]
    more = start + limit < len(items)
    next_cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
    return ok(**{key: page, "has_more": more, "response_metadata": {"next_cursor": next_cursor}})


# --- signing, as Slack signs the requests it sends ---------------------------------------


def signature(body: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(body, stamp, secret),
    }


def command_body(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    trigger_id: str = "",
    user_name: str = "",
    response_url: str = "",
) -> bytes:
    """A slash command's form-encoded body, as Slack POSTs it."""
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": TEAM,
            "team_domain": "hotwash-test",
            "channel_id": channel_id,
            "channel_name": "incident",
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": "/incident",
            "text": text,
            "api_app_id": "AHOTWASH",
            "is_enterprise_install": "false",
            "response_url": response_url or f"{WORKSPACE_URL}/commands/{TEAM}/1/response",
            "trigger_id": trigger_id or "13345224609.738474920.8088930838d88f008e0",
        }
    ).encode()


def event_body(event: dict[str, Any], *, event_id: str) -> bytes:
    """An Events API event_callback envelope."""
    return json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": TEAM,
            "api_app_id": "AHOTWASH",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        }
    ).encode()


def reaction(
    kind: str, *, user: str, channel: str, ts: str, name: str = "pushpin"
) -> dict[str, Any]:
    return {
        "type": kind,
        "user": user,
        "reaction": name,
        "item_user": user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": f"{int(time.time())}.000100",
    }


def pin(kind: str, *, user: str, channel: str, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": kind,
        "user": user,
        "channel_id": channel,
        "item": {
            "type": "message",
            "channel": channel,
            "message": message,
            "created": int(time.time()),
            "created_by": user,
        },
        "event_ts": f"{int(time.time())}.000200",
    }


def interaction_body(payload: dict[str, Any]) -> bytes:
    """Interactivity: the JSON payload in a `payload` form field."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def view_submission(
    view: dict[str, Any], *, user_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """A modal's submission: `values` maps block ids to what was chosen
    (a string for text, a value for a select, a list for multi-select and
    checkboxes), written into the documented view.state.values shape."""
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks") or []:
        block_id = block.get("block_id")
        element = block.get("element") or {}
        if not block_id or block_id not in values:
            continue
        value = values[block_id]
        kind = element.get("type")
        if kind == "plain_text_input":
            state[block_id] = {"value": {"type": kind, "value": value}}
        elif kind == "static_select":
            option = next((o for o in element["options"] if o["value"] == value), None)
            state[block_id] = {"value": {"type": kind, "selected_option": option}}
        else:
            chosen = [o for o in element.get("options") or [] if o["value"] in value]
            state[block_id] = {"value": {"type": kind, "selected_options": chosen}}
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "hotwash-test"},
        "user": {"id": user_id, "team_id": TEAM},
        "api_app_id": "AHOTWASH",
        "trigger_id": "12466734323.1395872398.abcdef",
        "view": {**view, "state": {"values": state}},
    }


def deliver(url: str, body: bytes, content_type: str, **headers: str) -> httpx.Response:
    """POST a signed request to a real Hotwash server, as Slack would."""
    return httpx.post(
        url,
        content=body,
        headers={"Content-Type": content_type, **signed_headers(body), **headers},
        timeout=10,
    )
