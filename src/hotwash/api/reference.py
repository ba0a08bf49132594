"""Reference data and the caller's own account."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from hotwash.accounts.permissions import role_of
from hotwash.accounts.services import profile_for
from hotwash.core.api.auth import caller
from hotwash.incidents import present
from hotwash.incidents.models import Severity
from hotwash.incidents.schemas import ERRORS, MeOut, SeverityOut

router = Router(tags=["Reference"])


@router.get(
    "/severities",
    response={200: list[SeverityOut], **ERRORS},
    summary="Severity levels and their definitions",
    operation_id="list_severities",
)
def severities(request: HttpRequest) -> list[dict[str, Any]]:
    """The organisation's severity levels, most severe first, with the name
    and definition configured for each, in your language."""
    return [
        {
            "level": data["severity"],
            "label": data["severity_label"],
            "name": data["severity_name"],
            "description": data["severity_description"],
        }
        for data in (present.severity(level) for level in Severity.values)
    ]


@router.get(
    "/me",
    response={200: MeOut, **ERRORS},
    summary="Who you are",
    operation_id="me",
)
def me(request: HttpRequest) -> dict[str, Any]:
    """The account the token or session belongs to, and its role."""
    user = caller(request)
    profile = profile_for(user)
    return {
        "username": user.get_username(),
        "name": present.display_name(user),
        "email": user.email,
        "role": role_of(user),
        "timezone": profile.timezone,
        "language": profile.language,
    }
