"""Request and response shapes of the audit trail's API (its OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from hotwash.core.api.paging import DEFAULT_PER_PAGE, Page, PageNumber, PerPage
from hotwash.core.api.schemas import ApiModel

BOUND_DOC = (
    "a day (YYYY-MM-DD, your time zone; the whole day counts) or an exact time "
    "with its zone (ISO 8601, e.g. 2026-11-26T09:00:00+00:00)"
)


class AuditQuery(BaseModel):
    actor: str | None = Field(None, description="Only what this username did.")
    action: str | None = Field(
        None,
        description="Only this action, e.g. incident.declared or auth.login_failed; "
        "`auth.*` for every action starting with `auth.`.",
    )
    object_type: str | None = Field(
        None, description="Only records about this kind of object, e.g. incidents.incident."
    )
    object_id: str | None = Field(None, description="Only records about the object with this id.")
    since: str | None = Field(None, description=f"Only records from this moment on: {BOUND_DOC}.")
    until: str | None = Field(None, description=f"Only records up to this moment: {BOUND_DOC}.")
    page: PageNumber = 1
    per_page: PerPage = DEFAULT_PER_PAGE


class AuditRecordOut(ApiModel):
    id: int = Field(description="The record's id; later records have larger ids.")
    at: datetime = Field(description="When it happened.")
    actor: str | None = Field(
        description="Username of whoever did it; null for Hotwash itself and failed sign-ins."
    )
    action: str = Field(
        description="What was done, e.g. incident.updated.", examples=["auth.logged_in"]
    )
    object_type: str = Field(
        description="The kind of object, e.g. incidents.incident or auth.user."
    )
    object_id: str = Field(
        description="The object's id (empty for a failed sign-in with an unknown username)."
    )
    changes: dict[str, Any] = Field(
        description="The detail: the values changed; for sign-ins the username tried and the "
        "client address (never a password)."
    )


class AuditPage(Page[AuditRecordOut]):
    items_doc = "This page of records, newest first."
