"""The search API's parameters and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hotwash.core.api.paging import DEFAULT_PER_PAGE, Page, PageNumber, PerPage
from hotwash.core.api.schemas import ApiModel, one_of
from hotwash.search.models import Kind


class SearchQuery(BaseModel):
    q: str = Field(
        description="The words to find (every one must match, in English or French "
        "stemming, accents ignored).",
        examples=["échec paiement"],
    )
    kind: list[str] = Field(
        default_factory=list,
        description="Only these kinds; repeatable or comma-separated.",
        json_schema_extra={"items": {"type": "string", **one_of(Kind.values)}},
    )
    since: str | None = Field(
        None,
        description="Happened on or after this day (YYYY-MM-DD, your time zone): an incident "
        "declared, a postmortem or action item created, an alert group first fired.",
        json_schema_extra={"format": "date"},
    )
    until: str | None = Field(
        None,
        description="Happened on or before this day (YYYY-MM-DD, your time zone).",
        json_schema_extra={"format": "date"},
    )
    type: list[str] = Field(
        default_factory=list,
        description="Only what belongs to incidents of these types (keys); repeatable or "
        "comma-separated.",
    )
    page: PageNumber = 1
    per_page: PerPage = DEFAULT_PER_PAGE


class SearchResultOut(ApiModel):
    kind: str = Field(description="What was found.", json_schema_extra=one_of(Kind.values))
    ref: str = Field(description="Its reference: INC-42, PM-7, AI-12 or AG-3.")
    id: int = Field(
        description="Its id in its own API (`/incidents/{ref}`, `/postmortems/{id}`, ...)."
    )
    incident: str | None = Field(description="The incident it belongs to, if any.")
    title: str = Field(description="Its title.")
    snippet: str = Field(
        description="HTML: the text around the words found, escaped, each match in <mark>."
    )
    occurred_at: datetime = Field(description="When it happened (declared, created, fired).")
    type: str = Field(description="Its incident's type key; empty without an incident.")
    url: str = Field(description="Its page.")
    score: float = Field(description="How well it matches; higher is better.")


class SearchPage(Page[SearchResultOut]):
    items_doc = "This page of results, best match first."


class LessonSourceOut(ApiModel):
    id: int = Field(description="The postmortem's id.")
    title: str = Field(description="The postmortem's title.")
    status: str = Field(description="The postmortem's status.")
    url: str = Field(description="The postmortem's page.")


class SimilarIncidentOut(ApiModel):
    id: str = Field(description="The incident's reference.", examples=["INC-41"])
    title: str = Field(description="Its title.")
    status: str = Field(description="Its status.")
    severity: int = Field(description="Its severity, 1 to 4.")
    type: str = Field(description="Its type key.")
    declared_at: datetime = Field(description="When it was declared.")
    url: str = Field(description="Its page.")
    score: float = Field(description="How alike; higher is more.")
    shared_services: list[str] = Field(description="Services both incidents affected.")
    same_type: bool = Field(description="Whether both are of the same type.")
    postmortem: LessonSourceOut | None = Field(description="Its postmortem, if you may read one.")
    lessons: list[str] = Field(
        description="The first lines of its postmortem's lessons, in your language if written."
    )


class SimilarOut(ApiModel):
    items: list[SimilarIncidentOut] = Field(
        description="Up to five earlier incidents like this one, most alike first."
    )
