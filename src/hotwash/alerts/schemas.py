"""Response shapes of the alerts' API (its OpenAPI document). The webhook
bodies are documented by the parsers' own models (hotwash.alerts.parsers)."""

from __future__ import annotations

from datetime import datetime

from ninja import P, PathEx
from pydantic import BaseModel, Field

from hotwash.alerts.models import AlertStatus
from hotwash.core.api.paging import Page, PageNumber, PerPage
from hotwash.core.api.schemas import ApiModel, one_of


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


class AlertGroupPage(Page[AlertGroupOut]):
    items_doc = "This page of groups, latest first."
