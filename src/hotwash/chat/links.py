"""The signed, expiring link a chat platform gives someone Hotwash does not
know yet: it names their id on the platform; the page it opens (views.py)
asks the signed-in person to confirm, then links the identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "hotwash.chat.link"
# Long enough to sign in (single sign-on included), short enough that a
# link pasted somewhere stops working soon.
LINK_VALID = timedelta(hours=1)


@dataclass(frozen=True)
class LinkRequest:
    platform: str
    external_id: str
    display_name: str


def link_token(platform: str, external_id: str, display_name: str = "") -> str:
    return signing.dumps([platform, external_id, display_name], salt=SALT, compress=True)


def link_url(platform: str, external_id: str, display_name: str = "") -> str:
    path = reverse("chat:link", args=[link_token(platform, external_id, display_name)])
    return settings.SITE_URL.rstrip("/") + path


def read_link_token(token: str) -> LinkRequest | None:
    """What the token names, or None when it is forged or expired."""
    try:
        platform, external_id, display_name = signing.loads(token, salt=SALT, max_age=LINK_VALID)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return LinkRequest(str(platform), str(external_id), str(display_name))
