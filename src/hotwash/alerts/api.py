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
from datetime import datetime
from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, Router
from pydantic import BaseModel, Field

from hotwash.alerts.auth import Refusal
from hotwash.alerts.ingest import IngestResult, ingest
from hotwash.alerts.models import Alert, AlertGroup, AlertSource, AlertStatus
from hotwash.alerts.payloads import InvalidPayload
from hotwash.alerts.queries import visible_groups
from hotwash.alerts.sources import AlertSourceKind, sources
from hotwash.api.auth import caller
from hotwash.api.errors import describe_validation_error, error_body
from hotwash.api.present import Presenter, local
from hotwash.api.schemas import ApiModel, Error, PageNumber, PerPage, one_of
from hotwash.core.errors import DomainError, InvalidInput, NotFound
from hotwash.incidents.models import REF_PREFIX
from hotwash.incidents.queries import visible_incidents

router = Router(tags=["Alert webhooks"])

ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409, 413, 422}): Error}


class GroupAccepted(ApiModel):
    id: int = Field(description="The alert group's id.")
    group_key: str = Field(description="The group's key.")
    status: str = Field(description="firing or resolved, after this notification.")
    incident: str | None = Field(description="The incident the group opened or joined, if any.")
    new: int = Field(description="Alerts seen for the first time.")
    refired: int = Field(description="Alerts that were resolved and fire again.")
    resolved: int = Field(description="Alerts resolved by this notification.")


class AlertsAccepted(ApiModel):
    received: int = Field(description="Alerts in the request.")
    stored: int = Field(description="Alerts stored or updated (repeats included).")
    stale: int = Field(
        description="Notifications older than what is stored (a late retry), not applied."
    )
    groups: list[GroupAccepted] = Field(description="The groups the alerts belong to.")


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
    return HttpResponse(_encode(_summary(result)), content_type="application/json")


def _summary(result: IngestResult) -> dict[str, Any]:
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

ALERTS_SHOWN = 200
GroupId = PathEx[int, P(description="The alert group's id.")]


class GroupListQuery(BaseModel):
    status: str | None = Field(
        None,
        description="Only groups in this status.",
        json_schema_extra=one_of(AlertStatus.values),
    )
    source: str | None = Field(None, description="Only groups of the source with this name.")
    page: PageNumber = 1
    per_page: PerPage = 50


class AlertOut(ApiModel):
    id: int = Field(description="The alert's id.")
    fingerprint: str = Field(description="Its identity within its source.")
    status: str = Field(description="firing or resolved.")
    labels: dict[str, str] = Field(description="Its labels.")
    annotations: dict[str, str] = Field(description="Its annotations (summary, description, ...).")
    starts_at: datetime = Field(description="When it started firing.")
    ends_at: datetime | None = Field(description="When it ended, if resolved.")
    generator_url: str = Field(description="Link back to the alert in the source.")
    first_received_at: datetime = Field(description="When Hotwash first heard of it.")
    last_received_at: datetime = Field(description="When Hotwash last heard of it.")
    notification_count: int = Field(description="How many notifications carried it.")


class AlertGroupOut(ApiModel):
    id: int = Field(description="The group's id.")
    source: str = Field(description="The source's name.")
    source_kind: str = Field(description="alertmanager, grafana, generic or sns.")
    group_key: str = Field(description="The group's key.")
    labels: dict[str, str] = Field(description="The labels its alerts share.")
    status: str = Field(description="firing while any of its alerts fires.")
    first_fired_at: datetime = Field(description="When it (this episode) started firing.")
    last_notified_at: datetime = Field(description="The latest notification.")
    resolved_at: datetime | None = Field(description="When its last alert resolved.")
    incident: str | None = Field(
        description="The incident it opened or joined (null also if you may not see it)."
    )
    alert_count: int = Field(description="How many alerts it has.")
    firing_count: int = Field(description="How many of them fire.")
    url: str = Field(description="Its web page.")


class AlertGroupDetail(AlertGroupOut):
    alerts: list[AlertOut] = Field(description=f"Its latest alerts, at most {ALERTS_SHOWN}.")


class AlertGroupPage(ApiModel):
    items: list[AlertGroupOut] = Field(description="This page of groups, latest first.")
    count: int = Field(description="How many groups match (exactly up to 10,000).")
    count_exact: bool = Field(description="Whether count is exact.")
    page: int = Field(description="This page's number.")
    per_page: int = Field(description="Items per page.")
    next: str | None = Field(description="URL of the next page, or null on the last one.")
    previous: str | None = Field(description="URL of the previous page, or null on the first one.")


def _render_groups(request: HttpRequest, groups: list[AlertGroup]) -> list[dict[str, Any]]:
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
    return Presenter(request).page(
        groups,
        page=query.page,
        per_page=query.per_page,
        render=lambda page: _render_groups(request, page),
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
    (rendered,) = _render_groups(request, [group])
    alerts = group.alerts.order_by("-last_received_at", "-id")[:ALERTS_SHOWN]
    rendered["alerts"] = [
        {
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
        for alert in alerts
    ]
    return rendered
