"""Request and response shapes of the links and merge API (links_api.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import P, PathEx
from pydantic import Field, WithJsonSchema

from hotwash.core.api.schemas import ApiModel, one_of
from hotwash.incidents.linking import INCOMING, OUTGOING
from hotwash.incidents.models import LinkKind

# Checked by the service (case-insensitively, naming the choices in its 422).
LinkKindIn = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "string",
            "enum": LinkKind.values,
            "description": "related, or caused_by: this incident was caused by the other.",
        }
    ),
]
RefIn = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "string",
            "description": "An incident: INC-41, inc-41 or 41.",
            "examples": ["INC-41"],
        }
    ),
]

LinkId = PathEx[int, P(description="The link's id.")]


class LinkCreate(ApiModel):
    to: RefIn = Field(description="The other incident: INC-41, inc-41 or 41.")
    kind: LinkKindIn = Field(
        LinkKind.RELATED,
        description="related (default), or caused_by: this incident was caused by `to`.",
    )


class LinkOut(ApiModel):
    id: int = Field(description="The link's id (for DELETE).")
    kind: str = Field(
        description="related or caused_by.", json_schema_extra=one_of(LinkKind.values)
    )
    direction: str = Field(
        description=(
            "outgoing: this incident is the link's source (for caused_by: it was caused by "
            "the other); incoming: the other incident is the source (it was caused by this one)."
        ),
        json_schema_extra=one_of([OUTGOING, INCOMING]),
    )
    text: str = Field(
        description="The link as read from this incident: Related to INC-41, Caused by INC-40, "
        "Caused INC-43 (in the request's language)."
    )
    incident: str = Field(description="The other incident's reference, e.g. INC-41.")
    title: str = Field(description="The other incident's title.")
    status: str = Field(description="The other incident's status.")
    url: str = Field(description="The other incident's web page.")
    created_at: datetime = Field(description="When the link was made.")
    created_by: str | None = Field(description="Username of whoever made it, or null.")


class MergeRequest(ApiModel):
    into: RefIn = Field(description="The incident that survives: INC-41, inc-41 or 41.")
