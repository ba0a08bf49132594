"""Request and response shapes of the public versions' API (its OpenAPI
document)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from hotwash.blameless.schemas import TEXT_MAX_CHARS
from hotwash.core.api.schemas import ApiModel, one_of
from hotwash.postmortems.services import TITLE_MAX
from hotwash.sharing.redaction import KINDS


class RedactIn(ApiModel):
    text: str = Field(max_length=TEXT_MAX_CHARS, description="The text to redact.")
    language: str | None = Field(
        default=None,
        description="en or fr: the language of the placeholders. Default: the request's "
        "Accept-Language, else en.",
        examples=["en"],
    )


class ReplacementOut(ApiModel):
    start: int = Field(description="Offset of the first character replaced, in the text sent.")
    end: int = Field(description="Offset just after the last character replaced.")
    kind: str = Field(description="What was found.", json_schema_extra=one_of(KINDS))
    original: str = Field(description="The text replaced: text[start:end].")


class RedactOut(ApiModel):
    text: str = Field(description="The text with each replacement's placeholder.")
    replacements: list[ReplacementOut] = Field(description="What was replaced, in text order.")


class PublicTextOut(ApiModel):
    key: str = Field(description="The section's key, or _title for the title.")
    language: str = Field(description="en or fr.")
    text: str = Field(description="The public text.")
    original: str | None = Field(
        description="The original it was made from; null for a reader who may not read "
        "the original (the postmortem is shared with them only publicly)."
    )
    replacements: list[ReplacementOut] | None = Field(
        description="What was replaced (offsets into the original); null as for original."
    )


class PublicVersionOut(ApiModel):
    id: int = Field(description="The version's number, for the audit trail.")
    prepared_at: datetime = Field(description="When it was prepared from the original.")
    confirmed_at: datetime | None = Field(
        description="When its author confirmed it; null for a draft."
    )
    confirmed_by: str | None = Field(description="Who confirmed it (a username).")
    stale: bool = Field(description="The original changed after it was prepared.")
    texts: list[PublicTextOut] = Field(description="Its title and sections, in both languages.")


class PublicVersionsOut(ApiModel):
    postmortem: str = Field(description="The postmortem's reference, PM-3.")
    published: PublicVersionOut | None = Field(
        description="The public version the public pages show; null if none was confirmed."
    )
    draft: PublicVersionOut | None = Field(
        description="The draft under review, for those who may change the postmortem."
    )
    missing: list[str] = Field(
        description="What the draft still needs before it can be published (both languages)."
    )


class PublicTitleIn(ApiModel):
    language: str = Field(description="en or fr.", examples=["fr"])
    title: str = Field(max_length=TITLE_MAX, description="The title in that language.")


class ConfirmIn(ApiModel):
    confirmed: bool = Field(
        description="true: I reviewed the public version beside the original.", examples=[True]
    )
