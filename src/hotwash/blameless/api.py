"""The blameless-language linter over the API: any signed-in user (viewers
too) can check a text before publishing it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router
from pydantic import Field

from hotwash.blameless.engine import LANGUAGES, lint
from hotwash.core.errors import InvalidInput
from hotwash.incidents.schemas import ERRORS, ApiModel

router = Router(tags=["Blameless language"])

# The body limit (HOTWASH_MAX_BODY_BYTES) applies first; this bounds the
# text itself for clients that raise that limit.
TEXT_MAX_CHARS = 1024 * 1024
NAMES_MAX = 200


class LintIn(ApiModel):
    text: str = Field(max_length=TEXT_MAX_CHARS, description="The text to check.")
    language: str | None = Field(
        default=None,
        description="en or fr: the rules and the language of the explanations. "
        "Default: the request's Accept-Language, else en.",
        examples=["en"],
    )
    names: list[str] = Field(
        default=[],
        max_length=NAMES_MAX,
        description="Participants' names and usernames, so that naming one of them as the "
        "cause of a failure is flagged.",
        examples=[["Sam", "sam.okafor"]],
    )


class FindingOut(ApiModel):
    start: int = Field(description="Offset of the first character flagged (0-based).")
    end: int = Field(description="Offset just after the last character flagged.")
    rule: str = Field(description="The rule's id.")
    category: str = Field(
        description="naming, human-error, counterfactual, judgement, blame or why-question."
    )
    excerpt: str = Field(description="The flagged text: text[start:end].")
    message: str = Field(description="Why this is flagged.")
    suggestion: str = Field(description="How to say it without blame.")


class LintOut(ApiModel):
    findings: list[FindingOut] = Field(description="What was flagged, in text order.")
    count: int = Field(description="How many findings there are.")


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
    never block anything; they are advice."""
    findings = lint(payload.text, _language(payload.language), names=payload.names)
    return {"findings": [f.as_dict() for f in findings], "count": len(findings)}
