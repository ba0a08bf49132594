"""Alert webhooks, mounted under /api/v1/: one endpoint per kind of source
(alerts/sources.py: each kind is an integration that registered itself),
each authenticated by the source's own token.

Every endpoint answers 2xx only after the alerts are committed, so a
monitoring system that got a 2xx may forget them. A refused request (400
malformed, 401 token, 403 signature, 413 too large) writes nothing.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router
from pydantic import BaseModel

from hotwash.accounts.api_auth import caller
from hotwash.alerts.auth import Refusal
from hotwash.alerts.ingest import IngestResult, ingest
from hotwash.alerts.models import Alert, AlertGroup, AlertSource, AlertStatus
from hotwash.alerts.payloads import InvalidPayload
from hotwash.alerts.queries import visible_groups
from hotwash.alerts.schemas import (
    ALERTS_SHOWN,
    AlertGroupDetail,
    AlertGroupPage,
    AlertsAccepted,
    GroupId,
    GroupListQuery,
)
from hotwash.alerts.sources import AlertSourceKind, sources
from hotwash.core.api.errors import Error, describe_validation_error, error_body, error_responses
from hotwash.core.api.paging import present_page
from hotwash.core.api.present import local
from hotwash.core.errors import DomainError, InvalidInput, NotFound
from hotwash.incidents.models import REF_PREFIX
from hotwash.incidents.queries import visible_incidents

router = Router(tags=["Alert webhooks"])

# The shared ways to fail, and 413: a monitoring system may send a lot.
ERRORS = error_responses(400, 401, 403, 404, 409, 413, 422)


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema with its definitions inlined, for the OpenAPI
    document's request body (ninja does not see bodies the view reads
    itself)."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def _body(model: type[BaseModel], content_type: str = "application/json") -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {content_type: {"schema": _inline_schema(model)}},
        }
    }


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _accepted(result: IngestResult) -> HttpResponse:
    """The answer, as a response: it is built from our own counts, so
    ninja's validation of it against AlertsAccepted (which still documents
    it) would only cost time on the hottest path."""
    return HttpResponse(_encode(present_ingest_result(result)), content_type="application/json")


def present_ingest_result(result: IngestResult) -> dict[str, Any]:
    return {
        "received": result.received,
        "stored": result.stored,
        "stale": result.stale,
        "groups": [
            {
                "id": outcome.group.pk,
                "group_key": outcome.group.group_key,
                "status": outcome.group.status,
                "incident": f"{REF_PREFIX}{outcome.group.incident_id}"
                if outcome.group.incident_id
                else None,
                "new": len(outcome.new_alerts),
                "refired": len(outcome.refired_alerts),
                "resolved": len(outcome.resolved_alerts),
            }
            for outcome in result.groups
        ],
    }


class MalformedAlert(DomainError):
    """The payload is not JSON, or not the shape this endpoint takes."""

    status_code = 400


def malformed(invalid: InvalidPayload) -> MalformedAlert:
    """A parser's refusal as the 400 it answers, worded like every other
    validation error of the API."""
    if invalid.error is not None:
        message = describe_validation_error(invalid.error, invalid.field)
    else:
        message = invalid.message
    return MalformedAlert(message, field=invalid.field)


def _basic_challenge(refusal: Refusal) -> HttpResponse:
    response = JsonResponse(error_body(refusal.message), status=401)
    response["WWW-Authenticate"] = 'Basic realm="hotwash", charset="UTF-8"'
    return response


def _add_webhook(kind: AlertSourceKind) -> None:
    """POST /alerts/<kind>: the endpoint of one kind of source."""

    def receive(request: HttpRequest) -> HttpResponse:
        auth: AlertSource | Refusal = request.auth  # type: ignore[attr-defined]
        if isinstance(auth, Refusal):
            return _basic_challenge(auth)
        try:
            alerts = kind.receive(auth, request.body)
        except InvalidPayload as invalid:
            raise malformed(invalid) from None
        return _accepted(ingest(auth, alerts))

    extra: dict[Any, Any] = dict.fromkeys(kind.extra_statuses, Error)
    router.post(
        f"/alerts/{kind.kind}",
        auth=kind.authentication(),
        response={200: AlertsAccepted, **ERRORS, **extra},
        summary=kind.summary,
        description=inspect.cleandoc(kind.description),
        operation_id=f"receive_{kind.kind}",
        url_name=f"receive_{kind.kind}",
        openapi_extra=_body(kind.payload, kind.content_type),
    )(receive)


# One endpoint per registered kind, in the order they were registered.
for _kind in sources:
    _add_webhook(_kind)


# --- reading alert groups (personal tokens and the session, like the rest) -------


def present_alert_groups(groups: list[AlertGroup], request: HttpRequest) -> list[dict[str, Any]]:
    """A page of groups in three queries, whatever their size."""
    counts: dict[int, dict[str, int]] = {group.pk: {} for group in groups}
    rows = (
        Alert.objects.filter(group_id__in=counts)
        .values("group_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["group_id"]][row["status"]] = row["n"]
    incident_ids = {group.incident_id for group in groups if group.incident_id}
    visible = set(
        visible_incidents(caller(request)).filter(pk__in=incident_ids).values_list("pk", flat=True)
        if incident_ids
        else []
    )
    return [
        {
            "id": group.pk,
            "source": group.source.name,
            "source_kind": group.source.kind,
            "group_key": group.group_key,
            "labels": group.labels,
            "status": group.status,
            "first_fired_at": local(group.first_fired_at),
            "last_notified_at": local(group.last_notified_at),
            "resolved_at": local(group.resolved_at),
            "incident": f"{REF_PREFIX}{group.incident_id}"
            if group.incident_id in visible
            else None,
            "alert_count": sum(counts[group.pk].values()),
            "firing_count": counts[group.pk].get(AlertStatus.FIRING, 0),
            "url": request.build_absolute_uri(reverse("alerts:group", args=[group.pk])),
        }
        for group in groups
    ]


@router.get(
    "/alerts/groups",
    response={200: AlertGroupPage, **ERRORS},
    summary="List alert groups",
    tags=["Alerts"],
    operation_id="list_alert_groups",
)
def list_groups(request: HttpRequest, query: Query[GroupListQuery]) -> dict[str, Any]:
    """Alert groups, the latest notified first, with their labels, status,
    alert counts and the incident each opened or joined. Any signed-in
    person may read them, except groups of a private incident they may not
    see, which are left out as if they did not exist."""
    groups = (
        visible_groups(caller(request))
        .select_related("source")
        .order_by("-last_notified_at", "-id")
    )
    if query.status:
        if query.status not in AlertStatus.values:
            raise InvalidInput(
                _("Unknown status %(value)s: use firing or resolved.") % {"value": query.status},
                field="status",
            )
        groups = groups.filter(status=query.status)
    if query.source:
        groups = groups.filter(source__name=query.source)
    return present_page(
        groups,
        request,
        page=query.page,
        per_page=query.per_page,
        render=lambda rows: present_alert_groups(rows, request),
    )


@router.get(
    "/alerts/groups/{group_id}",
    response={200: AlertGroupDetail, **ERRORS},
    summary="Get an alert group and its alerts",
    tags=["Alerts"],
    operation_id="get_alert_group",
)
def read_group(request: HttpRequest, group_id: GroupId) -> dict[str, Any]:
    """One alert group with its latest alerts (labels, annotations, times,
    the link back to the source and how often each was notified). A group
    of a private incident you may not see answers 404, like one that does
    not exist."""
    group = visible_groups(caller(request)).select_related("source").filter(pk=group_id).first()
    if group is None:
        raise NotFound(_("No alert group %(id)s.") % {"id": group_id})
    (rendered,) = present_alert_groups([group], request)
    alerts = group.alerts.order_by("-last_received_at", "-id")[:ALERTS_SHOWN]
    rendered["alerts"] = [present_alert(alert) for alert in alerts]
    return rendered


def present_alert(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "fingerprint": alert.fingerprint,
        "status": alert.status,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "starts_at": local(alert.starts_at),
        "ends_at": local(alert.ends_at),
        "generator_url": alert.generator_url,
        "first_received_at": local(alert.first_received_at),
        "last_received_at": local(alert.last_received_at),
        "notification_count": alert.notification_count,
    }
