"""The blameless-language linter over the API: any signed-in user (viewers
too) can check a text before publishing it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router

from hotwash.blameless.engine import LANGUAGES, Finding, lint
from hotwash.blameless.people import organisation_names
from hotwash.blameless.schemas import LintIn, LintOut
from hotwash.core.api.errors import ERRORS
from hotwash.core.errors import InvalidInput

router = Router(tags=["Blameless language"])


def _language(requested: str | None) -> str:
    if requested is None or requested == "":
        active = (get_language() or "en")[:2]
        return active if active in LANGUAGES else "en"
    language = requested.strip().lower()
    if language not in LANGUAGES:
        raise InvalidInput(_("The language must be en or fr."), field="language")
    return language


@router.post(
    "/lint",
    response={200: LintOut, **ERRORS},
    summary="Check a text for blameful language",
    operation_id="lint",
)
def lint_text(request: HttpRequest, payload: LintIn) -> dict[str, Any]:
    """Flags naming people as the cause, "human error", hindsight ("should
    have"), judgement words, blame vocabulary and "why didn't you" questions,
    with the exact span, an explanation and a suggested rewrite. Findings
    never block anything; they are advice. Every account's name is known
    (participant or not); `names` adds others."""
    language = _language(payload.language)
    findings = lint(payload.text, language, names=payload.names, accounts=organisation_names())
    return present_findings(findings)


def present_findings(findings: list[Finding]) -> dict[str, Any]:
    return {"findings": [finding.as_dict() for finding in findings], "count": len(findings)}
