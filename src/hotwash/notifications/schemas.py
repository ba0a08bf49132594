"""Request and response shapes of the notifications API (api.py)."""

from __future__ import annotations

from ninja import P, PathEx
from pydantic import Field

from hotwash.core.api.schemas import ApiModel

ServiceName = PathEx[str, P(description="The service's name.", examples=["shop"])]


class FollowOut(ApiModel):
    incident: str | None = Field(description="The incident followed (or not), if it is one.")
    service: str | None = Field(description="The service followed (or not), if it is one.")
    following: bool = Field(description="Whether you follow it now.")
