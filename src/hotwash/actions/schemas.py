"""Request and response shapes of the action-item API (its OpenAPI document).

As elsewhere in the API, choice fields are typed loosely and documented with
their values; the service checks them, so the web, the API and the CLI
refuse the same things with the same messages.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import P, PathEx
from pydantic import BaseModel, Field, WithJsonSchema

from hotwash.actions.models import Kind, Priority, Status
from hotwash.actions.queries import ACTIVE, SORTS
from hotwash.actions.services import TITLE_MAX
from hotwash.core.api.paging import DEFAULT_PER_PAGE, Page, PageNumber, PerPage
from hotwash.core.api.schemas import ApiModel, one_of
from hotwash.incidents.services import TEXT_MAX

StatusIn = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "string",
            "enum": Status.values,
            "description": "open, in_progress, done or wont_do (won't do needs a reason).",
        }
    ),
]
PriorityIn = Annotated[
    Any,
    WithJsonSchema({"type": "string", "enum": Priority.values, "description": "Priority."}),
]
KindIn = Annotated[
    Any,
    WithJsonSchema({"type": "string", "enum": Kind.values, "description": "Kind of follow-up."}),
]

ItemRef = PathEx[str, P(description="The action item: AI-7, ai-7 or 7.", examples=["AI-7"])]


class ActionItemCreate(ApiModel):
    """Create an action item on an incident or a postmortem."""

    title: str = Field(
        description="What will be done, in a few words.",
        json_schema_extra={"maxLength": TITLE_MAX},
        examples=["Alert on checkout error rate"],
    )
    owner: str = Field(
        description="Username of the one person who owns it (required).", examples=["amira"]
    )
    due: date | None = Field(
        None,
        description=(
            "Due date (YYYY-MM-DD), today or later. Default: from policy by the incident's "
            "severity (15 days for SEV1, 30 for SEV2, 60 otherwise)."
        ),
    )
    incident: str | None = Field(
        None, description="The incident (INC-42 or 42); give this or `postmortem`."
    )
    postmortem: str | None = Field(
        None,
        description="The postmortem (PM-3 or 3); its incident is taken from it.",
    )
    description: str = Field(
        "", description="Details, context, links.", json_schema_extra={"maxLength": TEXT_MAX}
    )
    priority: PriorityIn = Field(None, description="Default: medium.")
    kind: KindIn = Field(
        None, description="detect, mitigate, prevent or process. Default: prevent."
    )
    team: str | None = Field(
        None,
        description=(
            "The owning team (its short name). Default: the owner's team when they belong to "
            "exactly one."
        ),
    )


class ActionItemPatch(ApiModel):
    """Change some fields. Send only the fields to change. Responders and
    admins can change everything; the item's owner can change its status."""

    title: str | None = Field(
        None, description="New title.", json_schema_extra={"maxLength": TITLE_MAX}
    )
    description: str | None = Field(None, description="New description.")
    owner: str | None = Field(None, description="Username of the new owner.")
    due: date | None = Field(None, description="New due date (YYYY-MM-DD).")
    priority: PriorityIn = Field(None, description="New priority.")
    kind: KindIn = Field(None, description="New kind.")
    status: StatusIn = Field(
        None, description="New status; done records when, reopening clears it."
    )
    reason: str | None = Field(None, description="Why it will not be done (with status wont_do).")
    team: str | None = Field(None, description="New owning team (short name), or null for none.")


class ActionItemListQuery(BaseModel):
    owner: str | None = Field(None, description="Only items owned by this username.")
    mine: bool = Field(False, description="Only your own items (overrides `owner`).")
    team: str | None = Field(None, description="Only items of this team (short name).")
    status: list[str] = Field(
        default_factory=list,
        description=(
            "Only these statuses; repeat the parameter or separate with commas. "
            "`active` means open or in progress."
        ),
        json_schema_extra={"items": {"type": "string", **one_of([ACTIVE, *Status.values])}},
    )
    overdue: bool = Field(False, description="Only items still to do whose due date has passed.")
    incident: str | None = Field(None, description="Only items of this incident (INC-42).")
    postmortem: str | None = Field(None, description="Only items of this postmortem (PM-3 or 3).")
    q: str | None = Field(None, description="Text the title contains (case-insensitive).")
    sort: str | None = Field(
        None,
        description="Order: due (soonest first, default), -due, -created, -updated.",
        json_schema_extra=one_of(list(SORTS)),
    )
    page: PageNumber = 1
    per_page: PerPage = DEFAULT_PER_PAGE


class ActionItemOut(ApiModel):
    id: str = Field(description="Human reference, e.g. AI-7.", examples=["AI-7"])
    number: int = Field(description="The number in the reference.")
    title: str = Field(description="What will be done.")
    description: str = Field(description="Details.")
    owner: str | None = Field(description="Username of the owner (null only for drafts).")
    owner_name: str | None = Field(description="The owner's full name, or username.")
    due: date | None = Field(description="Due date.")
    overdue: bool = Field(description="Still to do and due before today (your time zone).")
    priority: str = Field(description="Priority code.", json_schema_extra=one_of(Priority.values))
    priority_name: str = Field(description="The priority in the request's language.")
    kind: str = Field(description="Kind code.", json_schema_extra=one_of(Kind.values))
    kind_name: str = Field(description="The kind in the request's language.")
    status: str = Field(description="Status code.", json_schema_extra=one_of(Status.values))
    status_name: str = Field(description="The status in the request's language.")
    reason: str = Field(description="Why it will not be done (status wont_do), else empty.")
    team: str | None = Field(description="Short name of the owning team, or null.")
    team_name: str | None = Field(description="Name of the owning team, or null.")
    incident: str | None = Field(description="The incident (INC-42), or null.")
    postmortem: str | None = Field(description="The postmortem (PM-3), or null.")
    created_at: datetime = Field(description="When it was created.")
    created_by: str | None = Field(description="Username of its creator (null: Hotwash).")
    updated_at: datetime = Field(description="Last change.")
    done_at: datetime | None = Field(description="When it was marked done, or null.")
    url: str = Field(description="The item's web page.")


class ActionItemPage(Page[ActionItemOut]):
    items_doc = "This page of action items."
