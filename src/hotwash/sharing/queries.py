"""Reads of public versions: which one a postmortem's public page shows,
the draft under review, what the redaction looks for, and what still stands
between a draft and its publication (staleness, missing translations,
blameless findings when policy blocks on them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import AnyUser
from hotwash.blameless.engine import lint_markdown
from hotwash.blameless.people import organisation_names
from hotwash.incidents.queries import can_view
from hotwash.policies import sharing_policy
from hotwash.postmortems import hooks
from hotwash.postmortems.models import Language, Postmortem, Section
from hotwash.postmortems.outlines import get_outline
from hotwash.sharing import redaction
from hotwash.sharing.models import TITLE, PublicText, PublicVersion

# --- which version ------------------------------------------------------------


def draft_of(postmortem: Postmortem) -> PublicVersion | None:
    return PublicVersion.objects.drafts().filter(postmortem=postmortem).first()


def published_of(postmortem: Postmortem) -> PublicVersion | None:
    """The public version the public pages show: the newest confirmed."""
    return PublicVersion.objects.confirmed().filter(postmortem=postmortem).first()


def texts_of(version: PublicVersion) -> dict[tuple[str, str], PublicText]:
    """A version's texts by (key, language)."""
    return {(text.key, text.language): text for text in version.texts.all()}


def public_texts(postmortems: list[Postmortem], language: str) -> dict[int, hooks.PublicText]:
    """What the public pages show (the `public_versions` hook): for each of
    these postmortems that has a confirmed public version, its title and
    sections in `language`, as confirmed."""
    newest: dict[int, int] = {}
    for version_id, postmortem_id in (
        PublicVersion.objects.confirmed()
        .filter(postmortem__in=[p.pk for p in postmortems])
        .order_by("postmortem_id", "-confirmed_at", "-id")
        .values_list("pk", "postmortem_id")
    ):
        newest.setdefault(postmortem_id, version_id)
    by_version: dict[int, hooks.PublicText] = {
        version_id: hooks.PublicText(title="", sections={}) for version_id in newest.values()
    }
    for version_id, key, text in PublicText.objects.filter(
        version_id__in=by_version, language=language
    ).values_list("version_id", "key", "text"):
        if key == TITLE:
            by_version[version_id] = hooks.PublicText(
                title=text, sections=by_version[version_id].sections
            )
        else:
            by_version[version_id].sections[key] = text
    return {postmortem_id: by_version[version_id] for postmortem_id, version_id in newest.items()}


def can_read_original(user: AnyUser, postmortem: Postmortem) -> bool:
    """Whether `user` reads the postmortem itself, not only because it is
    shared publicly: then a public version's originals (the names it
    replaced) are theirs to see too."""
    if not user.is_authenticated:
        return False
    if postmortem.incident is None:
        return True
    return can_view(user, postmortem.incident)


# --- what the redaction looks for ---------------------------------------------------


def people_names(postmortem: Postmortem) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names, usernames): every account's first, last and full name and
    username (the incident's participants are accounts), and the people an
    imported postmortem named who have no account here."""
    names: set[str] = set()
    usernames: set[str] = set()
    rows = get_user_model().objects.values_list("username", "first_name", "last_name")
    for username, first_name, last_name in rows:
        usernames.add(username)
        names.update(n for n in (first_name, last_name, f"{first_name} {last_name}") if n.strip())
    header: dict[str, Any] = postmortem.imported_header or {}
    for value in (header.get("owner"), *(header.get("authors") or ())):
        if isinstance(value, str) and value.strip():
            names.add(value.strip())
    return tuple(sorted(n.strip() for n in names)), tuple(sorted(usernames))


def rules_for(postmortem: Postmortem, marked: list[Any], kept: list[Any]) -> redaction.Rules:
    names, usernames = people_names(postmortem)
    return redaction.Rules(
        names=names,
        usernames=usernames,
        marked=tuple(
            (str(item["text"]), str(item["kind"]))
            for item in marked
            if isinstance(item, dict) and item.get("kind") in redaction.KINDS
        ),
        kept=frozenset(str(item) for item in kept),
        internal_domains=tuple(settings.INTERNAL_DOMAINS),
        patterns=tuple(re.compile(pattern) for pattern in sharing_policy().patterns),
    )


def request_rules() -> redaction.Rules:
    """The rules for a text that belongs to no postmortem (POST /redact)."""
    return rules_for(Postmortem(imported_header={}), [], [])


# --- the original, as a public version reads it ---------------------------------------


def original_texts(postmortem: Postmortem) -> dict[tuple[str, str], str]:
    """The original's texts a public version is made of, by (key, language):
    its title in its original language, and every section of its template
    written in either language (the generated ones, timeline and action
    items, are facts the public pages do not show)."""
    outline = get_outline(postmortem.template)
    written = {key for key in outline.keys if key not in _generated(postmortem)}
    texts: dict[tuple[str, str], str] = {(TITLE, postmortem.original_language): postmortem.title}
    for key, language, body in Section.objects.filter(
        postmortem=postmortem, key__in=written
    ).values_list("key", "language", "body"):
        if body.strip():
            texts[(key, language)] = body
    return texts


def _generated(postmortem: Postmortem) -> set[str]:
    return {s.key for s in get_outline(postmortem.template).sections if s.generated}


def is_stale(version: PublicVersion) -> bool:
    """Flagged when the original's sections changed after the version was
    prepared (the section-saved receiver), or found so now: the original's
    title or a section changed in a way no signal told (an import)."""
    if version.stale:
        return True
    snapshot = {
        (text.key, text.language): text.original
        for text in version.texts.all()
        if not (text.key == TITLE and text.language != version.postmortem.original_language)
    }
    return snapshot != original_texts(version.postmortem)


# --- what stands between a draft and publication ------------------------------------


# Whole sentences per language, so each reads naturally in translation.
MISSING_TITLE = {
    Language.EN: gettext_lazy("The title in English."),
    Language.FR: gettext_lazy("The title in French."),
}
MISSING_SECTION = {
    Language.EN: gettext_lazy("The section “%(section)s” in English."),
    Language.FR: gettext_lazy("The section “%(section)s” in French."),
}


def missing_texts(version: PublicVersion) -> list[str]:
    """Every text the public version still needs, one sentence each: the
    title and every section written in either language exist in both."""
    postmortem = version.postmortem
    texts = {key: text for key, text in texts_of(version).items() if text.original.strip()}
    outline = get_outline(postmortem.template)
    sections = [s for s in outline.sections if any((s.key, code) in texts for code in Language)]
    missing = [str(MISSING_TITLE[code]) for code in Language if (TITLE, code) not in texts]
    for section in sections:
        for code in Language:
            if (section.key, code) not in texts:
                missing.append(
                    str(MISSING_SECTION[code]) % {"section": section.title.get(get_language())}
                )
    return missing


@dataclass(frozen=True)
class BlamelessFinding:
    section: str  # the section's title (or "Title") in the finding's language
    language: str
    excerpt: str
    message: str


def blameless_findings(version: PublicVersion) -> list[BlamelessFinding]:
    """The blameless-language findings in the public texts, as they would
    be published (after the replacements)."""
    outline = get_outline(version.postmortem.template)
    titles = {s.key: s.title for s in outline.sections}
    accounts = organisation_names()
    found: list[BlamelessFinding] = []
    for text in version.texts.all().order_by("language", "id"):
        for finding in lint_markdown(text.text, text.language, accounts=accounts):
            section = (
                _("Title")
                if text.key == TITLE
                else titles[text.key].get(text.language)
                if text.key in titles
                else text.key
            )
            found.append(
                BlamelessFinding(section, text.language.upper(), finding.excerpt, finding.message)
            )
    return found


def blocking_findings(version: PublicVersion) -> list[BlamelessFinding]:
    """The findings that stop publication: none unless policy says so."""
    if not sharing_policy().block_on_blameless_findings:
        return []
    return blameless_findings(version)
