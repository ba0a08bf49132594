"""Which Hotwash account a Slack user is: the ChatIdentity remembered
first; otherwise `users.info` gives the profile's email, which Slack has
confirmed, and the one active account with that address is linked
(linked_by=email). Someone still unknown gets a signed link to link their
account themselves (hotwash.chat.links)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import translation

from hotwash.chat.links import link_url
from hotwash.chat.models import ChatIdentity, LinkedBy, Platform
from hotwash.chat.services import account_by_verified_email, account_for, link_identity
from hotwash.integrations.slack.client import call
from hotwash.notifications.channels import ChannelFailed, ChannelRejected

SLACK = Platform.SLACK
# "<@U123>" or "<@U123|amira>", as Slack escapes a mention in a command's text.
MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")


def profile_of(user_id: str) -> dict[str, Any]:
    """The user's `users.info` record ({} when Slack does not answer)."""
    try:
        data = call("users.info", user=user_id, include_locale=True)
    except ChannelFailed:
        return {}
    user = data.get("user")
    return user if isinstance(user, dict) else {}


def display_name(user: dict[str, Any]) -> str:
    profile = user.get("profile") or {}
    return str(
        profile.get("real_name") or profile.get("display_name") or user.get("name") or ""
    ).strip()


def account_of(user_id: str) -> User | None:
    """The account of Slack user `user_id`, linked by email the first time."""
    if not user_id:
        return None
    account = account_for(SLACK, user_id)
    if account is not None:
        return account
    user = profile_of(user_id)
    # An address Slack has not confirmed identifies nobody.
    if user.get("is_bot") or user.get("deleted") or user.get("is_email_confirmed") is False:
        return None
    email = str((user.get("profile") or {}).get("email") or "")
    account = account_by_verified_email(email) if email else None
    if account is None:
        return None
    link_identity(
        SLACK, user_id, account, linked_by=LinkedBy.EMAIL, display_name=display_name(user)
    )
    return account


def person_named(text: str) -> User | None:
    """The account a command's argument names: a mention, "<@U123|amira>"."""
    match = MENTION.match(text.strip())
    return account_of(match.group(1)) if match else None


def slack_id_of(account: User) -> str:
    """The Slack user id of `account`: remembered, or found by its email
    (`users.lookupByEmail`) and then remembered. "" when Slack has none."""
    known = (
        ChatIdentity.objects.filter(platform=SLACK, user=account)
        .values_list("external_id", flat=True)
        .first()
    )
    if known:
        return known
    if not account.email:
        return ""
    try:
        data = call("users.lookupByEmail", email=account.email)
    except ChannelRejected:  # users_not_found; a 429 or 5xx is retried
        return ""
    user = data.get("user") or {}
    user_id = str(user.get("id") or "")
    if user_id:
        link_identity(
            SLACK, user_id, account, linked_by=LinkedBy.EMAIL, display_name=display_name(user)
        )
    return user_id


def language_of(account: User | None) -> str:
    profile = getattr(account, "profile", None) if account is not None else None
    language = str(getattr(profile, "language", "") or settings.LANGUAGE_CODE)
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def locale_language(user_id: str) -> str:
    """The language of someone Hotwash does not know: their Slack locale
    ("fr-FR") when Hotwash speaks it."""
    locale = str(profile_of(user_id).get("locale") or "") if user_id else ""
    language = locale.split("-")[0].lower()
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def link_address(user_id: str, language: str) -> str:
    with translation.override(language):
        return link_url(SLACK, user_id)
