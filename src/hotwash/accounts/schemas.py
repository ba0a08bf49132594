"""Response shapes of the accounts' API (its OpenAPI document)."""

from __future__ import annotations

from pydantic import Field

from hotwash.core.api.schemas import ApiModel, one_of


class MeOut(ApiModel):
    username: str = Field(description="Login name.")
    name: str = Field(description="Full name, or the login name.")
    email: str = Field(description="Email address (may be empty).")
    role: str = Field(
        description="viewer (reads), responder (runs incidents) or admin (also sees private ones).",
        json_schema_extra=one_of(["viewer", "responder", "admin"]),
    )
    timezone: str = Field(description="Times in responses are given in this zone.")
    language: str = Field(description="Preferred language of the web pages.")
