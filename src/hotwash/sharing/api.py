"""The public versions over the API: redacting any text (for tools and
tests) and reading a postmortem's public version."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router

from hotwash.accounts.api_auth import caller
from hotwash.core.api.errors import ERRORS
from hotwash.core.errors import InvalidInput
from hotwash.postmortems.api import get_postmortem
from hotwash.postmortems.models import Language
from hotwash.postmortems.schemas import PostmortemRef
from hotwash.postmortems.services import can_edit
from hotwash.sharing import queries, redaction
from hotwash.sharing.models import PublicVersion
from hotwash.sharing.schemas import PublicVersionsOut, RedactIn, RedactOut

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
    postmortem = get_postmortem(user, ref)
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
