"""Write-side functions for public versions.

The author prepares a public version (a draft made from the original, every
text redacted), reviews it side by side with the original, adds or undoes
replacements, writes the title in the other language, and confirms it:
only then is the postmortem shared publicly (`Postmortem.public`), and the
public pages show that confirmed version until another is confirmed. Each
function is one transaction that writes the rows and their audit record.

Who may: those who may change the postmortem (`postmortems.services.can_edit`).
A postmortem of a private incident has no public version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.core import text as core_text
from hotwash.core.audit import record_audit
from hotwash.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hotwash.incidents.models import Incident
from hotwash.incidents.services import Actor
from hotwash.postmortems.models import Postmortem, Section, Status
from hotwash.postmortems.queries import can_be_shared
from hotwash.postmortems.services import (
    TITLE_MAX,
    can_edit,
    can_read,
    clean_language,
    record_on_timeline,
)
from hotwash.sharing import queries, redaction
from hotwash.sharing.models import TITLE, PublicText, PublicVersion

MARK_MAX = 200
MARKS_MAX = 200
# Confirmed once the text can no longer change without reopening.
CONFIRMABLE = (Status.APPROVED, Status.PUBLISHED)


def _person(actor: Actor) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _require_edit(actor: Actor, postmortem: Postmortem) -> None:
    """As for every change of a postmortem: 404 for who may not read it."""
    if not can_read(actor, postmortem):
        raise NotFound(_("No postmortem %(ref)s.") % {"ref": postmortem.ref})
    if not can_edit(actor, postmortem):
        raise PermissionDenied(
            _("Only responders, admins and its authors can change a postmortem.")
        )


def _lock(postmortem: Postmortem) -> Postmortem:
    """The postmortem re-read and locked, its incident first (the order
    every postmortem change takes), so its privacy holds until the commit."""
    incident = (
        Incident.objects.select_for_update().get(pk=postmortem.incident_id)
        if postmortem.incident_id
        else None
    )
    locked = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
    locked.incident = incident
    return locked


def _check_shareable(postmortem: Postmortem) -> None:
    if not can_be_shared(postmortem):
        raise InvalidInput(
            _("A postmortem of a private incident cannot be made public."), field="public"
        )


# --- preparing ---------------------------------------------------------------------


def prepare_public_version(
    postmortem: Postmortem, *, actor: Actor, now: datetime | None = None
) -> PublicVersion:
    """A new draft from the original as it is now, replacing any draft;
    the author's marks, kept originals and other-language title carry
    over from the newest version. The confirmed versions stay as they are."""
    _require_edit(actor, postmortem)
    now = timezone.now() if now is None else now
    with transaction.atomic():
        postmortem = _lock(postmortem)
        _check_shareable(postmortem)
        previous = PublicVersion.objects.filter(postmortem=postmortem).first()
        titles = _typed_titles(previous)
        PublicVersion.objects.drafts().filter(postmortem=postmortem).delete()
        version = PublicVersion.objects.create(
            postmortem=postmortem,
            prepared_at=now,
            prepared_by=_person(actor),
            marked=list(previous.marked) if previous else [],
            kept=list(previous.kept) if previous else [],
        )
        originals = queries.original_texts(postmortem)
        for language, title in titles.items():
            originals.setdefault((TITLE, language), title)
        PublicText.objects.bulk_create(
            PublicText(version=version, key=key, language=language, original=original)
            for (key, language), original in originals.items()
        )
        _redact(version)
        record_audit(
            actor=actor,
            action="postmortem.public_version_prepared",
            obj=postmortem,
            changes={"version": version.pk},
            now=now,
        )
    return version


def _typed_titles(version: PublicVersion | None) -> dict[str, str]:
    """The titles an author wrote for the languages the original has none in."""
    if version is None:
        return {}
    original = version.postmortem.original_language
    return {
        text.language: text.original
        for text in version.texts.filter(key=TITLE).exclude(language=original)
    }


def _redact(version: PublicVersion) -> None:
    """Every text of the draft redacted again from its original, with the
    rules as they are now (accounts, marks, kept originals)."""
    rules = queries.rules_for(version.postmortem, version.marked, version.kept)
    texts = list(version.texts.all())
    for text in texts:
        public, replacements = redaction.redact(text.original, text.language, rules)
        text.text = public
        text.replacements = [r.as_dict() for r in replacements]
    PublicText.objects.bulk_update(texts, ["text", "replacements"])


def _draft(postmortem: Postmortem, actor: Actor, now: datetime) -> PublicVersion:
    """The draft under review, prepared from the original when there is none."""
    draft = queries.draft_of(postmortem)
    if draft is None:
        draft = prepare_public_version(postmortem, actor=actor, now=now)
    return PublicVersion.objects.select_for_update().get(pk=draft.pk)


# --- reviewing -------------------------------------------------------------------------


def set_title(
    postmortem: Postmortem,
    *,
    actor: Actor,
    language: object,
    title: object,
    now: datetime | None = None,
) -> PublicVersion:
    """The public title in a language the original has no title in (the
    original's own title comes from the postmortem)."""
    _require_edit(actor, postmortem)
    code = clean_language(language)
    if code == postmortem.original_language:
        raise InvalidInput(
            _("The title in the original language is the postmortem's own; change it there."),
            field="language",
        )
    cleaned = core_text.clean_title(
        title,
        limit=TITLE_MAX,
        missing=_("Give the public version a title."),
        too_long=_("The title is too long; the limit is %(limit)s characters."),
        fold=True,
    )
    now = timezone.now() if now is None else now
    with transaction.atomic():
        draft = _draft(postmortem, actor, now)
        PublicText.objects.update_or_create(
            version=draft, key=TITLE, language=code, defaults={"original": cleaned}
        )
        _redact(draft)
        record_audit(
            actor=actor,
            action="postmortem.public_version_changed",
            obj=postmortem,
            changes={"title": {"language": code, "to": cleaned}},
            now=now,
        )
    return draft


def add_replacement(
    postmortem: Postmortem,
    *,
    actor: Actor,
    text: object,
    kind: object = redaction.PERSON,
    now: datetime | None = None,
) -> PublicVersion:
    """Replace every occurrence of `text` (a name Hotwash does not know, a
    host outside the internal domains, ...) in the draft."""
    _require_edit(actor, postmortem)
    value = " ".join(str(text or "").split())
    if not value:
        raise InvalidInput(_("Say what to replace."), field="text")
    if len(value) > MARK_MAX:
        raise InvalidInput(
            _("What to replace is too long; the limit is %(limit)s characters.")
            % {"limit": MARK_MAX},
            field="text",
        )
    if kind not in redaction.KINDS:
        raise InvalidInput(
            _("The kind must be one of %(kinds)s.") % {"kinds": ", ".join(redaction.KINDS)},
            field="kind",
        )
    now = timezone.now() if now is None else now
    with transaction.atomic():
        draft = _draft(postmortem, actor, now)
        marks = [m for m in draft.marked if m.get("text") != value]
        if len(marks) >= MARKS_MAX:
            raise InvalidInput(
                _("A public version takes at most %(limit)s replacements of your own.")
                % {"limit": MARKS_MAX},
                field="text",
            )
        if not any(value.casefold() in t.original.casefold() for t in draft.texts.all()):
            raise InvalidInput(
                _("“%(text)s” does not appear in the postmortem.") % {"text": value},
                field="text",
            )
        draft.marked = [*marks, {"text": value, "kind": kind}]
        draft.kept = [item for item in draft.kept if item.casefold() != value.casefold()]
        draft.save(update_fields=["marked", "kept"])
        _redact(draft)
        record_audit(
            actor=actor,
            action="postmortem.public_version_changed",
            obj=postmortem,
            changes={"marked": {"text": value, "kind": kind}},
            now=now,
        )
    return draft


def undo_replacement(
    postmortem: Postmortem,
    *,
    actor: Actor,
    original: object,
    now: datetime | None = None,
) -> PublicVersion:
    """Keep `original` (exactly as written) wherever it appears in the draft."""
    _require_edit(actor, postmortem)
    value = str(original or "")
    if not value.strip() or len(value) > MARK_MAX:
        raise InvalidInput(_("Say which replacement to undo."), field="original")
    now = timezone.now() if now is None else now
    with transaction.atomic():
        draft = _draft(postmortem, actor, now)
        replaced = {
            str(item.get("original")) for text in draft.texts.all() for item in text.replacements
        }
        if value not in replaced:
            raise InvalidInput(
                _("Nothing in the public version replaces “%(text)s”.") % {"text": value},
                field="original",
            )
        draft.kept = [*draft.kept, value]
        draft.marked = [m for m in draft.marked if m.get("text", "").casefold() != value.casefold()]
        draft.save(update_fields=["marked", "kept"])
        _redact(draft)
        record_audit(
            actor=actor,
            action="postmortem.public_version_changed",
            obj=postmortem,
            changes={"kept": value},
            now=now,
        )
    return draft


# --- confirming ------------------------------------------------------------------------


class NotReady(Conflict):
    """The draft cannot be published yet; `problems` says why, one sentence each."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message, field="confirm", problems=problems)


def confirm_public_version(
    postmortem: Postmortem,
    *,
    actor: Actor,
    confirmed: bool,
    now: datetime | None = None,
) -> PublicVersion:
    """The author confirms the draft as reviewed side by side: it becomes
    the published public version and the postmortem is shared publicly."""
    _require_edit(actor, postmortem)
    if not confirmed:
        raise InvalidInput(
            _("Confirm that you reviewed the public version beside the original."),
            field="confirmed",
        )
    now = timezone.now() if now is None else now
    with transaction.atomic():
        postmortem = _lock(postmortem)
        _check_shareable(postmortem)
        draft = queries.draft_of(postmortem)
        if draft is None:
            raise Conflict(_("Prepare the public version and review it first."), field="confirm")
        draft = PublicVersion.objects.select_for_update().get(pk=draft.pk)
        draft.postmortem = postmortem
        _check_ready(postmortem, draft)
        draft.confirmed_at = now
        draft.confirmed_by = _person(actor)
        draft.save(update_fields=["confirmed_at", "confirmed_by"])
        if not postmortem.public:
            postmortem.public = True
            postmortem.updated_at = now
            postmortem.save(update_fields=["public", "updated_at"])
        record_on_timeline(postmortem, "public_version_confirmed", actor=actor, now=now)
        record_audit(
            actor=actor,
            action="postmortem.public_version_confirmed",
            obj=postmortem,
            changes={
                "version": draft.pk,
                "public": True,
                "replacements": sum(len(t.replacements) for t in draft.texts.all()),
            },
            now=now,
        )
    return draft


def _check_ready(postmortem: Postmortem, draft: PublicVersion) -> None:
    if postmortem.status not in CONFIRMABLE:
        raise NotReady(
            _("Approve the postmortem before you publish its public version."),
            [],
        )
    if queries.is_stale(draft):
        raise NotReady(
            _(
                "The postmortem changed after this public version was prepared: prepare it "
                "again and review it."
            ),
            [],
        )
    missing = queries.missing_texts(draft)
    if missing:
        raise NotReady(
            _("The public version needs its title and every section in both languages."),
            missing,
        )
    findings = queries.blocking_findings(draft)
    if findings:
        raise NotReady(
            _("Resolve the blameless-language findings before publishing."),
            [
                _("%(section)s (%(language)s): “%(excerpt)s”: %(message)s")
                % {
                    "section": f.section,
                    "language": f.language,
                    "excerpt": f.excerpt,
                    "message": f.message,
                }
                for f in findings
            ],
        )


# --- the original changed --------------------------------------------------------------


def on_section_saved(
    sender: object, section: Section, actor: Actor, now: datetime, **kwargs: Any
) -> None:
    """Connected to postmortems.section_saved (hotwash.wiring.reactions),
    inside the save's transaction: every public version of the postmortem
    prepared from the text before is flagged stale, and changes in no other
    way (what was published stays published until a new one is confirmed)."""
    flagged = PublicVersion.objects.filter(postmortem_id=section.postmortem_id, stale=False)
    ids = list(flagged.values_list("pk", flat=True))
    if not ids:
        return
    PublicVersion.objects.filter(pk__in=ids).update(stale=True)
    record_audit(
        actor=actor,
        action="postmortem.public_version_stale",
        obj=section.postmortem,
        changes={"versions": ids, "section": section.key, "language": section.language},
        now=now,
    )


__all__ = [
    "NotReady",
    "add_replacement",
    "confirm_public_version",
    "on_section_saved",
    "prepare_public_version",
    "set_title",
    "undo_replacement",
]
