"""Request and response shapes of the stakeholder updates' API (its
OpenAPI document). Choices are typed loosely and checked by the service,
so the web, the API and the CLI refuse the same things with the same
messages."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from hotwash.blameless.schemas import FindingOut
from hotwash.core.api.schemas import ApiModel, one_of
from hotwash.statuspage.models import Audience, PublicStatus


class UpdateText(ApiModel):
    en: str = Field("", description="The English text.")
    fr: str = Field("", description="The French text.")


class UpdateIn(ApiModel):
    audience: str = Field(
        Audience.INTERNAL.value,
        description="internal (people following the incident and its services) or public "
        "(the status page and its subscribers; needs both languages, unless the policy file "
        "says otherwise). Default: internal.",
        json_schema_extra=one_of(Audience.values),
        examples=["public"],
    )
    status: str = Field(
        description="What the readers are told: investigating, identified, monitoring or "
        "resolved (not necessarily the incident's own status).",
        json_schema_extra=one_of(PublicStatus.values),
        examples=["identified"],
    )
    text: UpdateText = Field(description="The update in English and French.")


class UpdateFindings(ApiModel):
    en: list[FindingOut] = Field([], description="Findings in the English text.")
    fr: list[FindingOut] = Field([], description="Findings in the French text.")


class UpdateOut(ApiModel):
    id: int = Field(description="The update's id.")
    incident: str = Field(description="The incident's reference.", examples=["INC-42"])
    audience: str = Field(
        description="internal or public.", json_schema_extra=one_of(Audience.values)
    )
    status: str = Field(
        description="What readers are told.", json_schema_extra=one_of(PublicStatus.values)
    )
    text: UpdateText = Field(description="The update in English and French (empty if not given).")
    author: str | None = Field(description="Who published it (username).")
    published_at: datetime = Field(description="When it was published, in the caller's zone.")


class PublishedOut(UpdateOut):
    findings: UpdateFindings = Field(
        description="What the blameless-language assistant found in each text: the update "
        "is published anyway; reword and publish a correction if a finding is right."
    )


class UpdateList(ApiModel):
    items: list[UpdateOut] = Field(description="The updates, newest first.")
    count: int = Field(description="How many updates there are.")
