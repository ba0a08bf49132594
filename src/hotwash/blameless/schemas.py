"""Request and response shapes of the blameless-language linter's API (its
OpenAPI document)."""

from __future__ import annotations

from pydantic import Field

from hotwash.core.api.schemas import ApiModel

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
        description="Names of people without an account (a vendor's engineer, a customer) "
        "or as the text spells them, so that naming one of them as the cause of a failure is "
        "flagged. Every account's username, first name and full name is known without them.",
        examples=[["Sam", "sam.okafor"]],
    )


class FindingOut(ApiModel):
    start: int = Field(description="Offset of the first character flagged (0-based).")
    end: int = Field(description="Offset just after the last character flagged.")
    rule: str = Field(description="The rule's id.")
    category: str = Field(
        description="naming (a person as the agent of a failure), role (a role or a team as "
        "the culprit), human-error, counterfactual, judgement, blame or why-question."
    )
    excerpt: str = Field(description="The flagged text: text[start:end].")
    message: str = Field(
        description="Why this is flagged; where the story model decided, also the words it "
        "read as harm."
    )
    suggestion: str = Field(description="How to say it without blame.")


class LintOut(ApiModel):
    findings: list[FindingOut] = Field(description="What was flagged, in text order.")
    count: int = Field(description="How many findings there are.")
