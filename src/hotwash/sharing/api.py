"""The public versions over the API: redacting any text (for tools and
tests), and a postmortem's public version: reading it, preparing it, giving
it its title in the other language, confirming it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Status

from hotwash.accounts.api_auth import caller
from hotwash.core.api.errors import ERRORS
from hotwash.core.errors import InvalidInput
from hotwash.postmortems.api import get_postmortem
from hotwash.postmortems.models import Language, Postmortem
from hotwash.postmortems.schemas import PostmortemRef
from hotwash.postmortems.services import can_edit
from hotwash.sharing import queries, redaction, services
from hotwash.sharing.models import PublicVersion
from hotwash.sharing.schemas import (
    ConfirmIn,
    PublicTitleIn,
    PublicVersionsOut,
    RedactIn,
    RedactOut,
)

router = Router(tags=["Public versions"])


def _language(requested: str | None) -> str:
    if requested is None or requested == "":
        active = (get_language() or "en")[:2]
        return active if active in Language.values else "en"
    language = requested.strip().lower()
    if language not in Language.values:
        raise InvalidInput(_("The language must be en or fr."), field="language")
    return language


@router.post(
    "/redact",
    response={200: RedactOut, **ERRORS},
    summary="Redact a text as a public version would",
    operation_id="redact",
)
def redact_text(request: HttpRequest, payload: RedactIn) -> dict[str, Any]:
    """Replaces people's names (every account's), email addresses, IPv4 and
    IPv6 addresses, host names and URLs under the organisation's internal
    domains (HOTWASH_INTERNAL_DOMAINS) and what the policy file's sharing
    patterns match (ticket references) by placeholders in `language`. The
    replacements' offsets point into the text sent."""
    language = _language(payload.language)
    text, replacements = redaction.redact(payload.text, language, queries.request_rules())
    return {"text": text, "replacements": [r.as_dict() for r in replacements]}


@router.get(
    "/postmortems/{ref}/public-version",
    response={200: PublicVersionsOut, **ERRORS},
    summary="Get a postmortem's public version",
    operation_id="get_public_version",
)
def read_public_version(request: HttpRequest, ref: PostmortemRef) -> dict[str, Any]:
    """The public version the public pages show, and for those who may
    change the postmortem the draft under review and what it still needs.
    Originals and replacements are left out for a reader who reads the
    postmortem only because it is shared publicly."""
    user = caller(request)
    return _versions(user, get_postmortem(user, ref))


@router.post(
    "/postmortems/{ref}/public-version",
    response={201: PublicVersionsOut, **ERRORS},
    summary="Prepare a postmortem's public version",
    operation_id="prepare_public_version",
)
def prepare_public_version(request: HttpRequest, ref: PostmortemRef) -> Status[dict[str, Any]]:
    """A new draft, redacted from the postmortem as it is now (the marks,
    undone replacements and other-language title of the newest version
    carry over). Nothing is public until the draft is confirmed. 422 for a
    private incident's postmortem."""
    user = caller(request)
    postmortem = get_postmortem(user, ref)
    services.prepare_public_version(postmortem, actor=user)
    return Status(201, _versions(user, postmortem))


@router.put(
    "/postmortems/{ref}/public-version/title",
    response={200: PublicVersionsOut, **ERRORS},
    summary="Give the public version its title in a language",
    operation_id="set_public_version_title",
)
def set_public_title(
    request: HttpRequest, ref: PostmortemRef, payload: PublicTitleIn
) -> dict[str, Any]:
    """The title in the language the postmortem was not written in (public
    pages exist in both). Redacted like the rest."""
    user = caller(request)
    postmortem = get_postmortem(user, ref)
    services.set_title(postmortem, actor=user, language=payload.language, title=payload.title)
    return _versions(user, postmortem)


@router.post(
    "/postmortems/{ref}/public-version/confirm",
    response={200: PublicVersionsOut, **ERRORS},
    summary="Confirm the public version: share the postmortem publicly",
    operation_id="confirm_public_version",
)
def confirm_public_version(
    request: HttpRequest, ref: PostmortemRef, payload: ConfirmIn
) -> dict[str, Any]:
    """The author confirms that they reviewed the draft beside the original:
    it becomes the published public version. 409 when it cannot be yet
    (not approved, stale, a text missing in a language, a blocking
    blameless finding), with each problem in `errors`; 422 without
    `"confirmed": true`."""
    user = caller(request)
    postmortem = get_postmortem(user, ref)
    services.confirm_public_version(postmortem, actor=user, confirmed=payload.confirmed)
    return _versions(user, postmortem)


def _versions(user: User, postmortem: Postmortem) -> dict[str, Any]:
    originals = queries.can_read_original(user, postmortem)
    published = queries.published_of(postmortem)
    draft = queries.draft_of(postmortem) if can_edit(user, postmortem) else None
    return {
        "postmortem": postmortem.ref,
        "published": _present(published, originals) if published else None,
        "draft": _present(draft, originals) if draft else None,
        "missing": queries.missing_texts(draft) if draft else [],
    }


def _present(version: PublicVersion, originals: bool) -> dict[str, Any]:
    confirmer: User | None = version.confirmed_by
    return {
        "id": version.pk,
        "prepared_at": version.prepared_at,
        "confirmed_at": version.confirmed_at,
        "confirmed_by": confirmer.username if confirmer else None,
        "stale": queries.is_stale(version),
        "texts": [
            {
                "key": text.key,
                "language": text.language,
                "text": text.text,
                "original": text.original if originals else None,
                "replacements": text.replacements if originals else None,
            }
            for text in version.texts.order_by("language", "id")
        ],
    }
