"""Request and response shapes of the reports API (also its OpenAPI
document). As elsewhere, shapes only: the service functions check values."""

from __future__ import annotations

from datetime import datetime

from ninja import P, PathEx
from pydantic import BaseModel, Field, StrictBool

from hotwash.core.api.paging import DEFAULT_PER_PAGE, Page, PageNumber, PerPage
from hotwash.core.api.schemas import ApiModel, one_of
from hotwash.reports.models import Kind, Status
from hotwash.reports.services import COMMENT_MAX, NOTE_MAX, TEXT_MAX

ReportRef = PathEx[str, P(description="The report: RPT-7 or 7.", examples=["RPT-7"])]


# --- input ----------------------------------------------------------------------


class ReportCreate(ApiModel):
    """File a near miss or a confidential concern."""

    kind: str = Field(
        description="near-miss (something almost went wrong) or concern (about a process "
        "or a situation).",
        json_schema_extra=one_of(Kind.values),
        examples=["near-miss"],
    )
    text: str = Field(
        description="What happened, or what concerns you, in your own words.",
        json_schema_extra={"maxLength": TEXT_MAX},
    )
    anonymous: StrictBool = Field(
        description=(
            "true: the report is stored without any link to you (not in the report, not in "
            "the audit trail, not in the request log) and you cannot follow it; false: it "
            "carries your name, only reviewers and you can read it, and you follow its outcome."
        ),
    )


class CommentIn(ApiModel):
    body: str = Field(
        description="The comment, for the other reviewers.",
        json_schema_extra={"maxLength": COMMENT_MAX},
    )


class CloseIn(ApiModel):
    note: str = Field(
        description="Why it is closed; the person who filed it reads this when it was named.",
        json_schema_extra={"maxLength": NOTE_MAX},
    )


class RetrospectiveIn(ApiModel):
    title: str = Field(
        "", description="The retrospective's title. Default: “Near miss:” and the report's start."
    )
    note: str = Field(
        "",
        description="A note for the person who filed it.",
        json_schema_extra={"maxLength": NOTE_MAX},
    )


class IncidentIn(ApiModel):
    title: str = Field(
        "", description="The incident's title. Default: “Near miss:” and the report's start."
    )
    severity: int | str | None = Field(
        None,
        description="1 to 4 or SEV1 to SEV4. Default: the near-miss incident type's "
        "severity (SEV4 as shipped).",
    )
    private: StrictBool = Field(
        False, description="Private: only its participants and admins can see it."
    )
    note: str = Field(
        "",
        description="A note for the person who filed it.",
        json_schema_extra={"maxLength": NOTE_MAX},
    )


class ReportListQuery(BaseModel):
    kind: str | None = Field(
        None, description="Only this kind.", json_schema_extra=one_of(Kind.values)
    )
    status: str | None = Field(
        None, description="Only this status.", json_schema_extra=one_of(Status.values)
    )
    page: PageNumber = 1
    per_page: PerPage = DEFAULT_PER_PAGE


# --- output ---------------------------------------------------------------------


class CommentOut(ApiModel):
    id: int = Field(description="Comment id.")
    author: str | None = Field(description="The reviewer's username.")
    body: str = Field(description="The comment.")
    created_at: datetime = Field(description="Written.")


class ReportOut(ApiModel):
    """A report. Reviewers read every field; the person who filed it under
    their name reads theirs with `author`, `decided_by` and `comments` null."""

    id: str = Field(description="Reference, e.g. RPT-7.")
    number: int = Field(description="The number in the reference.")
    kind: str = Field(description="near-miss or concern.", json_schema_extra=one_of(Kind.values))
    kind_name: str = Field(description="The kind, in your language.")
    text: str = Field(description="What was reported.")
    anonymous: bool = Field(description="Filed without a name.")
    created_at: datetime = Field(description="Filed.")
    status: str = Field(
        description="open, closed, retrospective or incident.",
        json_schema_extra=one_of(Status.values),
    )
    status_name: str = Field(description="The status, in your language.")
    note: str = Field(description="The reviewer's note on the outcome.")
    decided_at: datetime | None = Field(description="When it was closed or converted.")
    postmortem: str | None = Field(description="The retrospective it became (PM-3).")
    incident: str | None = Field(description="The incident it became (INC-42).")
    url: str | None = Field(description="Its page; null for an anonymous report's filer.")
    author: str | None = Field(description="Reviewers only: who filed it; null if anonymous.")
    decided_by: str | None = Field(description="Reviewers only: who decided.")
    comments: list[CommentOut] | None = Field(description="Reviewers only: their discussion.")


class ReportPage(Page[ReportOut]):
    items_doc = "This page of reports, newest first."
