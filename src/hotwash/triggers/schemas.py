"""Request and response shapes of the triggers' API (its OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import P, PathEx
from pydantic import Field

from hotwash.core.api.schemas import TIME_DOC, ApiModel, one_of
from hotwash.triggers.changes import DESCRIPTION_MAX, URL_MAX, VERSION_MAX
from hotwash.triggers.models import ChangeKind, ProposalKind, ProposalStatus

ProposalId = PathEx[int, P(description="The proposal's id.")]
HeartbeatName = PathEx[
    str,
    P(
        description="The heartbeat's name, as in the trigger policy file.",
        examples=["nightly-backup"],
    ),
]


class ChangeIn(ApiModel):
    """A deploy, a rollback or a traffic reroute of one service."""

    service: str = Field(description="The service that changed.", examples=["shop"])
    kind: str = Field(
        "deploy",
        description="deploy, rollback or reroute. A rollback or a reroute is an on-call "
        "intervention, which the trigger policies may turn into an incident.",
        json_schema_extra=one_of(ChangeKind.values),
    )
    version: str = Field(
        "", description="The version now running.", json_schema_extra={"maxLength": VERSION_MAX}
    )
    description: str = Field(
        "",
        description="What was done and why.",
        json_schema_extra={"maxLength": DESCRIPTION_MAX},
    )
    url: str = Field(
        "",
        description="A link to the change (pipeline run, pull request).",
        json_schema_extra={"maxLength": URL_MAX},
    )
    at: datetime | None = Field(None, description=f"When it happened (default: now). {TIME_DOC}")


class FiringAlertOut(ApiModel):
    fingerprint: str = Field(description="The alert's fingerprint.")
    alertname: str = Field(description="Its alertname label, if any.")
    labels: dict[str, Any] = Field(description="Its labels.")


class FiringOut(ApiModel):
    id: int = Field(description="The firing's id.")
    policy: str = Field(description="The id of the policy that fired.")
    trigger: str = Field(description="Which trigger the policy is for.")
    mode: str = Field(description="declare, propose or notify.")
    action: str = Field(
        description="What it did.",
        json_schema_extra=one_of(["declared", "joined", "proposed", "notified", "escalated"]),
    )
    fired_at: datetime = Field(description="When it fired.")
    incident: str | None = Field(description="The incident it opened or acted on, or null.")
    description: str = Field(description="What happened, as sentences in your language.")
    alert_count: int = Field(description="How many alerts it saw.")
    alerts: list[FiringAlertOut] = Field(description="The first alerts it saw (at most 20).")
    details: dict[str, Any] = Field(description="Thresholds, severities, the change or heartbeat.")
    full_postmortem: bool = Field(description="Whether it requires a full postmortem.")
    proposal: int | None = Field(description="The id of the proposal it made, or null.")


class ChangeOut(ApiModel):
    id: int = Field(description="The change event's id.")
    service: str = Field(description="The service that changed.")
    kind: str = Field(description="deploy, rollback or reroute.")
    version: str = Field(description="The version now running.")
    description: str = Field(description="What was done and why.")
    url: str = Field(description="A link to the change.")
    occurred_at: datetime = Field(description="When it happened.")
    recorded_by: str | None = Field(description="Who recorded it.")
    incident: str | None = Field(
        description="The incident it belongs to (opened for it, or already open), or null."
    )
    incident_url: str | None = Field(description="That incident's page, or null.")
    proposal: int | None = Field(description="The proposal made for it, or null.")
    proposal_url: str | None = Field(description="Where to accept or dismiss it, or null.")
    written_on: list[str] = Field(description="Open incidents whose timeline now shows it.")
    firings: list[FiringOut] = Field(description="The policies that fired for it.")


class HeartbeatOut(ApiModel):
    name: str = Field(description="The heartbeat's name.")
    status: str = Field(
        description="up, silent, or waiting (no sign of life yet: not monitored).",
        json_schema_extra=one_of(["up", "silent", "waiting"]),
    )
    last_ping_at: datetime | None = Field(description="The last sign of life, or null.")
    source: str = Field(description="api (a ping) or alert (a Watchdog alert), or empty.")
    period_seconds: int = Field(description="How often it should say it is alive.")
    grace_seconds: int = Field(description="How much later than that still counts.")
    silent_since: datetime | None = Field(description="When it went silent, or null.")
    incident: str | None = Field(description="The incident of its current or last outage.")


class ProposalOut(ApiModel):
    id: int = Field(description="The proposal's id.")
    kind: str = Field(
        description="declare (an incident), escalate (raise an incident's severity) or "
        "add-detection (an action item).",
        json_schema_extra=one_of(ProposalKind.values),
    )
    status: str = Field(description="open, accepted or dismissed.")
    title: str = Field(description="What is proposed.")
    policy: str = Field(description="The policy that proposed it.")
    trigger: str = Field(description="Which trigger the policy is for.")
    description: str = Field(description="Why, as sentences in your language.")
    details: dict[str, Any] = Field(description="What accepting does (severity, services, ...).")
    incident: str | None = Field(
        description="The incident it is about, or (once accepted) the one it opened."
    )
    incident_url: str | None = Field(description="That incident's page, or null.")
    created_at: datetime = Field(description="When it was proposed.")
    decided_at: datetime | None = Field(description="When it was answered, or null.")
    decided_by: str | None = Field(description="Who answered it, or null.")
    result: dict[str, Any] = Field(description="What accepting produced.")


class ProposalQuery(ApiModel):
    status: str = Field(
        "open",
        description="open (default), accepted, dismissed or all.",
        json_schema_extra=one_of([*ProposalStatus.values, "all"]),
    )
    limit: int = Field(50, ge=1, le=200, description="At most this many, newest first.")


class DismissIn(ApiModel):
    reason: str = Field(
        "", description="Why not (optional).", json_schema_extra={"maxLength": 1000}
    )
