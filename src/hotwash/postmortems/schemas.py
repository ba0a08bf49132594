"""Request and response shapes of the postmortem API (also its OpenAPI
document). As elsewhere, shapes only: the service functions check values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import P, PathEx
from pydantic import BaseModel, Field

from hotwash.core.api.errors import ErrorItem
from hotwash.core.api.paging import DEFAULT_PER_PAGE, Page, PageNumber, PerPage
from hotwash.core.api.schemas import ApiModel, one_of
from hotwash.incidents.schemas import EntryOut
from hotwash.postmortems.models import Kind, Language, ReviewDecision, Status
from hotwash.postmortems.services import CHECKLIST_KEYS, TRANSITIONS

PostmortemRef = PathEx[str, P(description="The postmortem: PM-3 or 3.", examples=["PM-3"])]
SectionKey = PathEx[
    str, P(description="The section's key in the template, e.g. summary.", examples=["summary"])
]
LanguagePath = PathEx[str, P(description="en or fr.", examples=["en"])]
ChecklistKey = PathEx[
    str, P(description=f"One of: {', '.join(CHECKLIST_KEYS)}.", examples=["impact"])
]
CommentId = PathEx[int, P(description="The comment's id.")]


# --- input ----------------------------------------------------------------------


class PostmortemCreate(ApiModel):
    """Start a retrospective (success or project), or the postmortem of an
    incident on request (kind incident with `incident`)."""

    title: str = Field("", description="Title (not needed for an incident's postmortem).")
    kind: str = Field(
        "success",
        description="success, project or incident.",
        json_schema_extra=one_of(Kind.values),
    )
    incident: str | None = Field(None, description="For kind incident: INC-42 or 42.")
    template: str | None = Field(None, description="Template key; default by kind and policy.")
    owner: str | None = Field(None, description="Username of the owner (default: you).")
    due_on: date | None = Field(None, description="Due date.")
    language: str | None = Field(None, description="Original language, en or fr.")
    services: list[str] = Field(default_factory=list, description="Services concerned.")
    tags: list[str] = Field(default_factory=list, description="Tags.")
    period_start: date | None = Field(None, description="Start of the period looked back on.")
    period_end: date | None = Field(None, description="End of that period.")


class IncidentPostmortemCreate(ApiModel):
    """Start an incident's postmortem now, before or without policy asking."""

    template: str | None = Field(None, description="Template key; default from policy.")
    language: str | None = Field(None, description="Original language, en or fr.")


class PostmortemPatch(ApiModel):
    """Change header fields; send only those to change."""

    title: str | None = Field(None, description="New title.")
    owner: str | None = Field(None, description="Username of the new owner, or null for none.")
    due_on: date | None = Field(None, description="New due date, or null.")
    tags: list[str] | None = Field(None, description="The full new list of tags.")
    original_language: str | None = Field(None, description="en or fr.")
    template: str | None = Field(None, description="Another template for the same kind.")
    public: bool | None = Field(
        None,
        description="Also publish on the public page (refused, 422, while the incident is "
        "private).",
    )
    services: list[str] | None = Field(None, description="The full new list of services.")
    period_start: date | None = Field(None, description="Start of the period.")
    period_end: date | None = Field(None, description="End of the period.")
    authors: list[str] | None = Field(None, description="The full new list of authors.")


class SectionSave(ApiModel):
    body: str = Field(description="The section's Markdown text.")
    base_version: int = Field(
        ge=0, description="The version you started from (0 for a section with no text yet)."
    )


class TransitionIn(ApiModel):
    action: str = Field(
        description="request_review, withdraw, approve, publish or reopen.",
        json_schema_extra=one_of(list(TRANSITIONS)),
    )


class ReviewersIn(ApiModel):
    reviewers: list[str] = Field(description="Usernames; replaces the list.")


class FactorsIn(ApiModel):
    factors: list[str] = Field(
        description="The full new list of contributing factors: taxonomy keys (or a factor's "
        "name in English or French) and free tags; replaces the list.",
        examples=[["monitoring-gap", "vendor quirk"]],
    )


class ReviewIn(ApiModel):
    decision: str = Field(
        description="approved or changes_requested.",
        json_schema_extra=one_of([ReviewDecision.APPROVED, ReviewDecision.CHANGES_REQUESTED]),
    )
    comment: str = Field("", description="Required when asking for changes.")


class ChecklistIn(ApiModel):
    checked: bool = Field(description="Tick (true) or untick (false).")


class CommentIn(ApiModel):
    body: str = Field(description="The comment.")
    section: str = Field("", description="The section's key, or empty for the whole postmortem.")


class PostmortemListQuery(BaseModel):
    status: list[str] = Field(
        default_factory=list,
        description="Only these statuses; repeat or separate with commas.",
        json_schema_extra={"items": {"type": "string", **one_of(Status.values)}},
    )
    kind: list[str] = Field(
        default_factory=list,
        description="Only these kinds (incident, success, project).",
        json_schema_extra={"items": {"type": "string", **one_of(Kind.values)}},
    )
    owner: str | None = Field(None, description="Only those owned by this username (me: you).")
    incident: str | None = Field(None, description="Only the postmortem of this incident.")
    overdue: bool | None = Field(
        None, description="true: only required ones past their due date and not yet approved."
    )
    tag: str | None = Field(None, description="Only those with this tag (case-insensitive).")
    q: str | None = Field(None, description="Text the title contains (case-insensitive).")
    page: PageNumber = 1
    per_page: PerPage = DEFAULT_PER_PAGE


class ExportQuery(BaseModel):
    language: str | None = Field(
        None, description="en or fr; default: the postmortem's original language."
    )


# --- output ---------------------------------------------------------------------


class Completeness(ApiModel):
    written: int = Field(description="Sections with text in this language.")
    total: int = Field(description="Sections to write (generated ones excluded).")


class SectionVersionOut(ApiModel):
    body: str = Field(description="Markdown text.")
    version: int = Field(description="Send it back as base_version when saving.")
    updated_at: datetime = Field(description="Last save.")
    updated_by: str | None = Field(description="Username of whoever saved it last.")


class SectionOut(ApiModel):
    key: str = Field(description="The section's key.")
    title: str = Field(description="Its title in the request's language.")
    level: int = Field(description="2 for a section, 3 for a subsection.")
    generated: str | None = Field(
        description="timeline or action_items when facts are shown with it."
    )
    languages: dict[str, SectionVersionOut | None] = Field(
        description="The text in each language (en, fr), or null when not written."
    )


class SavedSectionOut(SectionVersionOut):
    key: str = Field(description="The section's key.")
    language: str = Field(description="en or fr.", json_schema_extra=one_of(Language.values))


class ConflictYours(ApiModel):
    body: str = Field(description="The text you tried to save.")
    base_version: int = Field(description="The version you started from.")


class SectionConflictOut(ApiModel):
    """Someone saved the section since you loaded it: nothing was written."""

    message: str = Field(description="What happened, for a person.")
    field: str | None = Field(description="body.")
    errors: list[ErrorItem] = Field(description="The same, as a list.")
    current: SectionVersionOut = Field(description="The saved version, to merge with yours.")
    yours: ConflictYours = Field(description="Your text, as sent.")


class ReviewerOut(ApiModel):
    user: str = Field(description="Username.")
    decision: str = Field(
        description="pending, approved or changes_requested.",
        json_schema_extra=one_of(ReviewDecision.values),
    )
    decided_at: datetime | None = Field(description="When they decided.")


class ChecklistItemOut(ApiModel):
    key: str = Field(description="The item's key.")
    label: str = Field(description="The question, in the request's language.")
    checked: bool = Field(description="Ticked.")
    checked_by: str | None = Field(description="Username of whoever ticked it.")
    checked_at: datetime | None = Field(description="When.")


class FactorOut(ApiModel):
    value: str = Field(description="As written in lists and files: the key, or the free tag.")
    key: str | None = Field(description="The taxonomy key, or null for a free tag.")
    name: str = Field(description="The factor's name in the request's language, or the tag.")


class SuggestionOut(ApiModel):
    key: str = Field(description="A taxonomy key the text seems to name.")
    name: str = Field(description="Its name in the request's language.")
    words: list[str] = Field(description="The words of the text that suggest it.")


class FactorsOut(ApiModel):
    factors: list[FactorOut] = Field(description="The postmortem's contributing factors, in order.")
    suggestions: list[SuggestionOut] = Field(
        description="Taxonomy factors its Contributing factors section mentions and it is not "
        "tagged with yet (suggestions only)."
    )


class DurationOut(ApiModel):
    key: str = Field(description="time_to_detect, ..., total_impact.")
    label: str = Field(description="In the request's language.")
    seconds: int | None = Field(description="Null when a time it needs is missing.")


class FactsOut(ApiModel):
    """Facts read from the incident each time (they stay linked to it)."""

    incident: str | None = Field(description="INC-42, or the reference of an incident elsewhere.")
    incident_title: str | None = Field(description="The incident's title, when it is here.")
    severity: int | None = Field(description="1 to 4.")
    services: list[str] = Field(description="Services affected.")
    commander: str | None = Field(description="Username of the current commander.")
    responders: list[str] = Field(description="Usernames of the participants.")
    times: dict[str, datetime | None] = Field(
        description="impact_started, detected, declared, acknowledged, mitigated, resolved, closed."
    )
    durations: list[DurationOut] = Field(description="Time to detect, acknowledge, ...")
    key_moments: list[EntryOut] = Field(description="Key moments of the timeline, oldest first.")
    imported: dict[str, dict[str, str]] = Field(
        description="Facts text imported from Markdown, by language and block, when the "
        "incident is not in this installation."
    )


class PostmortemSummaryOut(ApiModel):
    id: str = Field(description="Reference, e.g. PM-3.", examples=["PM-3"])
    number: int = Field(description="The number in the reference.")
    title: str = Field(description="Title.")
    kind: str = Field(description="incident, success or project.")
    kind_name: str = Field(description="The kind in the request's language.")
    template: str = Field(description="Template key.")
    status: str = Field(description="Workflow status.", json_schema_extra=one_of(Status.values))
    status_name: str = Field(description="The status in the request's language.")
    required: bool = Field(description="Required by policy (can be overdue).")
    overdue: bool = Field(description="Required, past due and not approved yet.")
    public: bool = Field(
        description="Also on the public page once published; always false while the incident "
        "is private (its privacy wins over the flag)."
    )
    incident: str | None = Field(description="INC-42, or null for a retrospective.")
    external_incident: str = Field(description="Imported: the incident's reference elsewhere.")
    owner: str | None = Field(description="Username of the owner.")
    authors: list[str] = Field(description="Usernames of the authors.")
    due_on: date | None = Field(description="Due date.")
    original_language: str = Field(description="en or fr.")
    tags: list[str] = Field(description="Tags.")
    services: list[str] = Field(description="Services (of the incident, or its own).")
    period_start: date | None = Field(description="Start of the period looked back on.")
    period_end: date | None = Field(description="End of that period.")
    created_at: datetime = Field(description="Created.")
    updated_at: datetime = Field(description="Last change.")
    review_requested_at: datetime | None = Field(description="Review last requested.")
    approved_at: datetime | None = Field(description="Approved.")
    published_at: datetime | None = Field(description="Published.")
    completeness: dict[str, Completeness] = Field(description="Per language: sections written.")
    url: str = Field(description="The postmortem's web page.")


class ApprovalsOut(ApiModel):
    required: int = Field(description="How many approvals the review policy asks for.")
    approved: list[str] = Field(description="Usernames of the reviewers who approved.")
    waiting: list[str] = Field(description="Usernames of the named reviewers yet to approve.")


class PostmortemOut(PostmortemSummaryOut):
    sections: list[SectionOut] = Field(description="Every section of the template, in order.")
    reviewers: list[ReviewerOut] = Field(description="Named reviewers and their decisions.")
    checklist: list[ChecklistItemOut] = Field(description="The review checklist.")
    approval_problems: list[str] = Field(description="What still blocks approval.")
    approvals: ApprovalsOut = Field(
        description="Approvals against the review policy (postmortems.<severity>.approvals): "
        "approving records one, and the postmortem is approved once there are enough."
    )
    facts: FactsOut | None = Field(description="Facts from the incident; null for retrospectives.")
    factors: list[FactorOut] = Field(
        description="Contributing factors (themes); change them with PUT .../factors."
    )


class PostmortemPage(Page[PostmortemSummaryOut]):
    items_doc = "This page, newest first."


class CommentOut(ApiModel):
    id: int = Field(description="Comment id.")
    section: str = Field(description="The section's key, or empty for the whole postmortem.")
    author: str | None = Field(description="Username.")
    body: str = Field(description="The comment.")
    created_at: datetime = Field(description="Written.")
    resolved_at: datetime | None = Field(description="Resolved, or null.")


class LintFindingOut(ApiModel):
    section: str = Field(description="The section's key.")
    language: str = Field(description="en or fr.")
    finding: dict[str, Any] = Field(
        description="start, end, rule, category, excerpt, message, suggestion (see POST /lint)."
    )
