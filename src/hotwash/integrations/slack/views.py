"""Slack's three request URLs: the `/incident` slash command, the Events
API and interactivity (modal submissions). Each request is signed by Slack
(slack_sdk's SignatureVerifier: v0 HMAC-SHA256 of "v0:timestamp:body",
compared in constant time, refused when more than 5 minutes old); a bad
signature gets 401 and changes nothing. Each answers at once: Slack waits
3 seconds; what takes Web API calls goes to the worker (tasks.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_sdk.signature import SignatureVerifier

from hotwash.chat import commands
from hotwash.chat.commands import unknown_person
from hotwash.chat.services import conversation_of, declare_from_chat, first_time
from hotwash.core.errors import DomainError
from hotwash.incidents.models import Incident
from hotwash.integrations.slack import events, modals
from hotwash.integrations.slack.client import call, configured
from hotwash.integrations.slack.identity import (
    SLACK,
    account_of,
    language_of,
    link_address,
    locale_language,
    person_named,
)
from hotwash.integrations.slack.tasks import handle_event, run_command, say
from hotwash.notifications.channels import ChannelFailed
from hotwash.statuspage.services import publish_update

View = Callable[[HttpRequest], HttpResponse]


def signed(view: View) -> View:
    """Slack's endpoints: POST only, no CSRF token (Slack signs instead),
    404 until Slack is configured, 401 for a bad or stale signature."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        if not configured():
            return HttpResponse(
                "Slack is not configured on this Hotwash.", status=404, content_type="text/plain"
            )
        if not _signed_by_slack(request):
            return HttpResponse(
                "Bad or stale Slack signature.", status=401, content_type="text/plain"
            )
        return view(request)

    return checked


def _signed_by_slack(request: HttpRequest) -> bool:
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit() or not signature:
        return False
    verifier = SignatureVerifier(settings.SLACK_SIGNING_SECRET)
    return verifier.is_valid(body=request.body, timestamp=timestamp, signature=signature)


def _answer(text: str, *, public: bool = False) -> JsonResponse:
    return JsonResponse({"response_type": "in_channel" if public else "ephemeral", "text": text})


@signed
def command(request: HttpRequest) -> HttpResponse:
    """`/incident ...`: run it and answer; a form opens a modal."""
    user_id = request.POST.get("user_id", "")
    channel_id = request.POST.get("channel_id", "")
    text = request.POST.get("text", "")
    actor = account_of(user_id)
    if actor is not None and commands.changes_something(text):
        # Declaring or changing takes more than Slack's 3 seconds under
        # load: the worker runs it and answers through the response_url.
        run_command.enqueue(text, user_id, channel_id, request.POST.get("response_url", ""))
        return HttpResponse(status=200)
    language = language_of(actor) if actor is not None else locale_language(user_id)
    conversation = conversation_of(SLACK, channel_id)
    reply = commands.run(
        text,
        platform=SLACK,
        requester=user_id,
        actor=actor,
        conversation=conversation,
        resolve_person=person_named,
        language=language,
        link_account_url=link_address(user_id, language) if actor is None and user_id else "",
    )
    if not reply.form:
        return _answer(reply.text, public=reply.public)
    if reply.form == "declare":
        view = modals.declare_view(language=language, channel_id=channel_id)
    else:
        assert conversation is not None  # "update" is answered only in a conversation
        view = modals.update_view(
            language=language, incident=conversation.incident, channel_id=channel_id
        )
    try:
        # The trigger_id expires 3 seconds after the command: opened now.
        call("views.open", trigger_id=request.POST.get("trigger_id", ""), view=view)
    except ChannelFailed:
        with translation.override(language):
            return _answer(_("Slack did not open the form. Try again in a moment."))
    return HttpResponse(status=200)


@signed
def event(request: HttpRequest) -> HttpResponse:
    """The Events API: the URL check, then events handled once each."""
    try:
        payload = json.loads(request.body)
    except ValueError:
        return HttpResponse("Not JSON.", status=400, content_type="text/plain")
    if not isinstance(payload, dict):
        return HttpResponse("Not an event.", status=400, content_type="text/plain")
    if payload.get("type") == "url_verification":
        return JsonResponse({"challenge": str(payload.get("challenge") or "")})
    body = payload.get("event")
    event_id = str(payload.get("event_id") or "")
    if payload.get("type") != "event_callback" or not isinstance(body, dict) or not event_id:
        return HttpResponse(status=200)  # nothing Hotwash acts on
    if events.wanted(body):
        # Slack retries (X-Slack-Retry-Num) when it heard nothing in time:
        # the event id is recorded with the queued task, in one transaction.
        with transaction.atomic():
            if first_time(SLACK, event_id):
                handle_event.enqueue(body)
    return HttpResponse(status=200)


@signed
def interactivity(request: HttpRequest) -> HttpResponse:
    try:
        payload = json.loads(request.POST.get("payload", ""))
    except ValueError:
        return HttpResponse("Not JSON.", status=400, content_type="text/plain")
    if not isinstance(payload, dict) or payload.get("type") != "view_submission":
        return HttpResponse(status=200)
    view = payload.get("view") or {}
    user_id = str((payload.get("user") or {}).get("id") or "")
    callback = view.get("callback_id")
    if callback == modals.DECLARE:
        return _declared(view, user_id)
    if callback == modals.UPDATE:
        return _updated(view, user_id)
    return HttpResponse(status=200)


def _errors(block_id: str, message: str) -> JsonResponse:
    return JsonResponse({"response_action": "errors", "errors": {block_id: message}})


def _declared(view: dict[str, Any], user_id: str) -> HttpResponse:
    values = modals.values(view)
    meta = modals.metadata(view)
    actor = account_of(user_id)
    language = language_of(actor)
    with translation.override(language):
        if actor is None:
            language = locale_language(user_id)
            return _errors("title", unknown_person(link_address(user_id, language), language))
        try:
            incident = declare_from_chat(
                actor=actor,
                platform=SLACK,
                requested_by=user_id,
                language=language,
                title=str(values.get("title") or ""),
                severity=values.get("severity"),
                services=list(values.get("services") or []),
                private="private" in (values.get("private") or []),
            )
        except DomainError as error:
            return _errors(modals.DECLARE_FIELDS.get(error.field or "", "title"), error.message)
        channel = str(meta.get("channel") or "")
        if channel and not incident.private:
            text = commands.declared_text(incident, actor, language)
            say.enqueue(channel, text)  # declare_from_chat has committed
    return JsonResponse({"response_action": "clear"})


def _updated(view: dict[str, Any], user_id: str) -> HttpResponse:
    values = modals.values(view)
    meta = modals.metadata(view)
    actor = account_of(user_id)
    language = language_of(actor)
    with translation.override(language):
        incident_pk = meta.get("incident")
        incident = (
            Incident.objects.filter(pk=incident_pk).first()
            if isinstance(incident_pk, int)
            else None
        )
        if actor is None or incident is None:
            language = locale_language(user_id)
            return _errors("audience", unknown_person(link_address(user_id, language), language))
        try:
            publish_update(
                incident,
                actor=actor,
                audience=values.get("audience"),
                status=values.get("status"),
                text={"en": values.get("text_en") or "", "fr": values.get("text_fr") or ""},
            )
        except DomainError as error:
            return _errors(modals.UPDATE_FIELDS.get(error.field or "", "text_en"), error.message)
    return JsonResponse({"response_action": "clear"})
