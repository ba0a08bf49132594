"""The operations endpoints: answers for machines (load balancers,
orchestrators, Prometheus), in English, never cached."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from hotwash.operations.health import readiness
from hotwash.operations.metrics import exposition


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and answering; touches no database, so a database
    outage does not get healthy processes restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready for traffic: the database answers and is migrated, and a worker
    runs the background work. 503 names the check that failed."""
    state = readiness()
    return JsonResponse(state.as_json(), status=200 if state.ready else 503)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not _may_scrape(request):
        response = HttpResponse(
            "A bearer token is required (HOTWASH_METRICS_TOKEN).\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="hotwash metrics"'
        return response
    body, content_type = exposition(request.headers.get("Accept"))
    return HttpResponse(body, content_type=content_type)


def _may_scrape(request: HttpRequest) -> bool:
    """Open when HOTWASH_METRICS_TOKEN is empty; otherwise the request must
    carry it as a bearer token (compared in constant time)."""
    expected: str = settings.METRICS_TOKEN
    if not expected:
        return True
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), expected.encode()
    )
