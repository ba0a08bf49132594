"""Request and response shapes of the trackers' API (its OpenAPI document)."""

from __future__ import annotations

from datetime import datetime

from ninja import P, PathEx
from pydantic import Field

from hotwash.core.api.schemas import ApiModel, one_of
from hotwash.trackers.models import IssueState, SyncState, UpdateState
from hotwash.trackers.registry import trackers

TrackerId = PathEx[
    int,
    P(description="The tracker's number, shown as its webhook address in the admin.", examples=[3]),
]


class TrackerLinkOut(ApiModel):
    item: str = Field(description="The action item, e.g. AI-7.")
    tracker: str = Field(description="The tracker.", json_schema_extra=one_of(trackers.kinds()))
    project: str = Field(description="Repository, project path or id, or Jira project key.")
    sync_state: str = Field(
        description="pending: waiting to be sent (or retrying); synced: the issue exists; "
        "failed: Hotwash gave up, see `error`.",
        json_schema_extra=one_of(SyncState.values),
    )
    update_state: str = Field(
        description="Once linked, whether the item's later edits (title, due date, owner, "
        "open or closed) have reached the issue: empty when they have; pending: waiting to "
        "be sent (or retrying); failed: Hotwash gave up, see `error`.",
        json_schema_extra=one_of(UpdateState.values),
    )
    state: str = Field(description="The sync state in the request's language.")
    issue: str = Field(
        description="The issue: owner/repo#42, group/project#7 or OPS-12; empty until it exists."
    )
    issue_state: str = Field(
        description="The issue's state in the tracker, as last seen; empty until known.",
        json_schema_extra=one_of(IssueState.values),
    )
    url: str = Field(description="The issue's page in the tracker; empty until it exists.")
    attempts: int = Field(description="Attempts made in the current series.")
    error: str = Field(
        description="What went wrong last, in the request's language; empty if nothing."
    )
    error_detail: str = Field(description="The tracker's own answer, for an administrator.")
    next_attempt_at: datetime | None = Field(description="When Hotwash tries again, or null.")
    last_synced_at: datetime | None = Field(
        description="When Hotwash last heard from the tracker about this issue."
    )


class WebhookOut(ApiModel):
    changed: bool = Field(description="Whether the issue's state changed (and so the item).")
    item: str | None = Field(description="The linked action item, or null for ignored events.")
    status: str | None = Field(description="The item's status afterwards, or null.")
    detail: str = Field(description="What Hotwash did with the event.")
