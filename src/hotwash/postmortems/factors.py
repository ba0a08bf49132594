"""Contributing factors: what a postmortem's "Contributing factors" section
says, as tags the themes page can count across postmortems.

A factor is a key of the organisation's taxonomy (the policy file's
`contributing_factors`: change-management, monitoring-gap, ...) or a free
tag for what the taxonomy does not name ("vendor quirk"). People and files
write them the same way, as a list of words: a word that is a key, or a
factor's name in English or French, is that factor; any other word is a
free tag. Setting them is one service, audited like every change of a
postmortem; pages, the API and the Markdown importer call it.

Factors can be changed at any stage, approved and published postmortems
included: tagging is often done afterwards, when someone looks for themes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.core import text as core_text
from hotwash.core.audit import record_audit
from hotwash.core.errors import InvalidInput, NotFound, PermissionDenied
from hotwash.incidents.services import Actor
from hotwash.policies import FactorDefinition, contributing_factors
from hotwash.postmortems.models import ContributingFactor, Postmortem
from hotwash.postmortems.services import can_edit, can_read

FIELD = "factors"
TAG_MAX = 50
# Enough for any honest list; a longer one is a paste gone wrong.
FACTORS_MAX = 20
# The section whose text suggestions read (every template has it).
SECTION_KEY = "contributing_factors"


@dataclass(frozen=True)
class Factor:
    """A taxonomy key (`key`) or a free tag (`tag`), never both."""

    key: str = ""
    tag: str = ""

    @property
    def value(self) -> str:
        """As people and files write it: the key, or the tag."""
        return self.key or self.tag

    def name(self, language: str | None = None) -> str:
        """The factor's name in `language` (the active one by default); a
        key the policy no longer defines shows as itself."""
        if not self.key:
            return self.tag
        definition = taxonomy().get(self.key)
        return definition.name.get(language) if definition else self.key

    def description(self, language: str | None = None) -> str:
        definition = taxonomy().get(self.key) if self.key else None
        if definition is None or definition.description is None:
            return ""
        return definition.description.get(language)


def taxonomy() -> dict[str, FactorDefinition]:
    """The organisation's factors by key, in the policy file's order."""
    return {definition.key: definition for definition in contributing_factors()}


def _by_word() -> dict[str, str]:
    """Every way of writing a taxonomy factor, folded, to its key."""
    words: dict[str, str] = {}
    for key, definition in taxonomy().items():
        for word in (key, definition.name.en, definition.name.fr):
            if word:
                words.setdefault(word.casefold(), key)
    return words


def clean_factors(value: object, *, keep: Iterable[str] = ()) -> list[Factor]:
    """A list of words (or one text, comma-separated) as factors, in the
    order given, each once. `keep` are keys the postmortem already carries:
    they stay keys even if the policy has since dropped them, so saving or
    re-importing a postmortem does not turn them into free tags."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, Iterable) or isinstance(value, dict):
        raise InvalidInput(_("Contributing factors are a list of words."), field=FIELD)
    words = _by_word()
    kept = set(keep)
    factors: list[Factor] = []
    seen: set[str] = set()
    for raw in value:
        if not isinstance(raw, str | int | float):
            raise InvalidInput(_("Contributing factors are a list of words."), field=FIELD)
        word = core_text.one_line(str(raw))
        if not word:
            continue
        folded = word.casefold()
        key = words.get(folded) or (word if word in kept else "")
        if not key and len(word) > TAG_MAX:
            raise InvalidInput(
                _("The factor %(tag)s is too long; the limit is %(limit)s characters.")
                % {"tag": word[:20], "limit": TAG_MAX},
                field=FIELD,
            )
        factor = Factor(key=key) if key else Factor(tag=word)
        identity = factor.key or factor.tag.casefold()
        if identity in seen:
            continue
        seen.add(identity)
        factors.append(factor)
    if len(factors) > FACTORS_MAX:
        raise InvalidInput(
            _("A postmortem has at most %(limit)s contributing factors.") % {"limit": FACTORS_MAX},
            field=FIELD,
        )
    return factors


def factors_of(postmortem: Postmortem) -> list[Factor]:
    return [
        Factor(key=key, tag=tag)
        for key, tag in ContributingFactor.objects.filter(postmortem=postmortem)
        .order_by("position", "id")
        .values_list("key", "tag")
    ]


def replace_factors(postmortem: Postmortem, factors: list[Factor]) -> bool:
    """Write `factors` as the postmortem's, inside the caller's transaction
    (no audit: the caller's change records it); False when nothing changed."""
    if factors_of(postmortem) == factors:
        return False
    ContributingFactor.objects.filter(postmortem=postmortem).delete()
    ContributingFactor.objects.bulk_create(
        ContributingFactor(postmortem=postmortem, key=factor.key, tag=factor.tag, position=index)
        for index, factor in enumerate(factors)
    )
    return True


def set_factors(
    postmortem: Postmortem, *, actor: Actor, factors: object, now: datetime | None = None
) -> list[Factor]:
    """Replace the postmortem's contributing factors; those who can edit
    it can, at any stage. The change is audited with the list before and
    after; saving the same list writes nothing."""
    if not can_read(actor, postmortem):
        raise NotFound(_("No postmortem %(ref)s.") % {"ref": postmortem.ref})
    if not can_edit(actor, postmortem):
        raise PermissionDenied(
            _("Only responders, admins and its authors can change a postmortem.")
        )
    now = timezone.now() if now is None else now
    with transaction.atomic():
        # Locked, so two people saving at once write one list after the
        # other rather than a mix of both.
        locked = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
        before = factors_of(locked)
        cleaned = clean_factors(factors, keep=[factor.key for factor in before if factor.key])
        if not replace_factors(locked, cleaned):
            return cleaned
        Postmortem.objects.filter(pk=locked.pk).update(updated_at=now)
        record_audit(
            actor=actor,
            action="postmortem.factors_changed",
            obj=locked,
            changes={
                FIELD: {
                    "from": [factor.value for factor in before],
                    "to": [factor.value for factor in cleaned],
                }
            },
            now=now,
        )
    return cleaned


# --- suggestions --------------------------------------------------------------------

# Words that point at a default factor, in English and French, matched as
# whole words at their start ("alert" finds "alerts", "alerting"). Only
# suggestions: a person ticks the box. A factor an organisation adds to its
# policy is suggested when the text uses its name.
CUES: dict[str, tuple[str, ...]] = {
    "change-management": (
        "deploy", "rollout", "roll out", "rollback", "release", "migration", "change window",
        "déploiement", "déployé", "mise en production", "retour arrière", "changement",
    ),
    "capacity": (
        "capacity", "overload", "high load", "traffic spike", "saturat", "out of memory", "disk full", "quota",
        "rate limit", "capacité", "charge", "pic de trafic", "mémoire", "disque plein",
    ),
    "dependency-failure": (
        "dependency", "upstream", "provider", "vendor", "third-party", "third party",
        "dépendance", "fournisseur", "prestataire", "service tiers",
    ),
    "monitoring-gap": (
        "monitoring", "alert", "no alarm", "dashboard", "observability", "noticed by",
        "supervision", "alerte", "tableau de bord", "remarqué par",
    ),
    "configuration": (
        "configuration", "config", "setting", "feature flag", "misconfigur", "paramètre",
        "réglage", "indicateur de fonctionnalité",
    ),
    "knowledge-documentation": (
        "runbook", "documentation", "documented", "playbook", "procedure", "procédure",
        "documenté", "connaissance",
    ),
    "communication": (
        "communication", "handover", "hand-over", "escalat", "not informed", "status page",
        "passation", "escalade", "pas informé", "page d'état",
    ),
    "testing": (
        "test", "staging", "load test", "coverage", "untested", "tests de charge",
        "pré-production", "couverture", "non testé",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Suggestion:
    """A taxonomy factor the text seems to name, and the words that say so
    (shown beside the box, so the suggestion explains itself)."""

    key: str
    words: tuple[str, ...]


def _cue_pattern(cue: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(cue.casefold()))


def suggest_factors(postmortem: Postmortem) -> list[Suggestion]:
    """Taxonomy factors the "Contributing factors" section's text (either
    language) mentions and the postmortem is not tagged with yet."""
    text = " ".join(
        postmortem.sections.filter(key=SECTION_KEY).values_list("body", flat=True)
    ).casefold()
    if not text.strip():
        return []
    tagged = {factor.key for factor in factors_of(postmortem)}
    suggestions: list[Suggestion] = []
    for key, definition in taxonomy().items():
        if key in tagged:
            continue
        cues = (*CUES.get(key, ()), definition.name.en, definition.name.fr)
        found = tuple(dict.fromkeys(cue for cue in cues if cue and _cue_pattern(cue).search(text)))
        if found:
            suggestions.append(Suggestion(key=key, words=found))
    return suggestions
