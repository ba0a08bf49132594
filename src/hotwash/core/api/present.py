"""Helpers for presenters: the functions `present_<thing>(obj, ...)` of each
app that turn a model into a JSON-ready dict, in the caller's language and
time zone. Times are converted to the caller's zone so every offset is
theirs; web addresses are built from the request.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

# Stands in for an object's key while reversing its page's address; digits,
# so that it fits both <int:...> and <str:...> routes.
_KEY_PLACEHOLDER = "999999999"


def local(value: datetime | None) -> datetime | None:
    """A stored (UTC) time in the caller's zone, so its offset is theirs."""
    return timezone.localtime(value) if value is not None else None


def username(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def object_url(request: HttpRequest, viewname: str, key: str | int) -> str:
    """The absolute address of the page `viewname` for the object `key`
    (its one URL argument). Reversed once per request, view and language:
    a page of 200 items would otherwise reverse 200 times."""
    cache: dict[tuple[str, str | None], str] = request.__dict__.setdefault(
        "_hotwash_object_urls", {}
    )
    template = cache.get((viewname, get_language()))
    if template is None:
        template = request.build_absolute_uri(reverse(viewname, args=[_KEY_PLACEHOLDER]))
        cache[(viewname, get_language())] = template
    # The last occurrence is the one in the path (the host comes before it).
    head, _placeholder, tail = template.rpartition(_KEY_PLACEHOLDER)
    return f"{head}{key}{tail}"
