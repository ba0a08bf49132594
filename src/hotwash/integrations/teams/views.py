"""The bot's messaging endpoint: POST /integrations/teams/messages.

Thin: it authenticates the Bot Connector's JWT (auth.py), then hands the
activity to activities.py. No CSRF token: the Bot Connector has no session,
and the bearer token proves who sent the request. Anything not proved
answers 401 and changes nothing.
"""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hotwash.integrations.teams import activities
from hotwash.integrations.teams.auth import Unauthenticated, verify_request

logger = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # activities are a few kilobytes


@csrf_exempt
@require_POST
def messages(request: HttpRequest) -> HttpResponse:
    authorization = request.headers.get("Authorization", "")
    if not authorization:
        return HttpResponse(status=401)
    if len(request.body) > MAX_BODY:
        return HttpResponse(status=413)
    try:
        activity = json.loads(request.body)
    except ValueError:
        return HttpResponse(status=400)
    if not isinstance(activity, dict):
        return HttpResponse(status=400)
    try:
        verify_request(authorization, activity)
    except Unauthenticated as refused:
        logger.warning("Teams: refused an activity: %s", refused)
        return HttpResponse(status=401)
    answer = activities.handle(activity)
    if answer.body is not None:
        return JsonResponse(answer.body)
    return HttpResponse(status=200)
