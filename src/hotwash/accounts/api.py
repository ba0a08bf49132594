"""The caller's own account, over the API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja import Router

from hotwash.accounts.api_auth import caller
from hotwash.accounts.permissions import role_of
from hotwash.accounts.schemas import MeOut
from hotwash.accounts.services import profile_for
from hotwash.core.api.errors import ERRORS
from hotwash.core.api.present import display_name

# Listed beside the severity levels (hotwash.incidents.api) in the API docs.
router = Router(tags=["Reference"])


@router.get(
    "/me",
    response={200: MeOut, **ERRORS},
    summary="Who you are",
    operation_id="me",
)
def me(request: HttpRequest) -> dict[str, Any]:
    """The account the token or session belongs to, and its role."""
    return present_account(caller(request))


def present_account(user: User) -> dict[str, Any]:
    profile = profile_for(user)
    return {
        "username": user.get_username(),
        "name": display_name(user),
        "email": user.email,
        "role": role_of(user),
        "timezone": profile.timezone,
        "language": profile.language,
    }
