"""Who is asking for a live stream: a signed-in browser or an API token.

Browsers send their session cookie (EventSource cannot set headers); scripts
and the bench send `Authorization: Bearer <token>`, like the API.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest

from hotwash.accounts.services import user_for_token


def request_user(request: HttpRequest) -> User | None:
    """The user behind `request`, or None.

    A request that presents a bearer token is judged by the token alone: a
    wrong token is refused even if a session cookie rides along, so a script
    never silently acts as whoever last signed in to the browser."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        token = token.strip()
        return user_for_token(token) if token else None
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None
