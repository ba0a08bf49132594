"""Sharing a postmortem publicly the way its author does: prepare the
public version, give it its title in the other language, confirm it."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import timezone

from hotwash.postmortems.models import Postmortem, Section
from hotwash.sharing import services as sharing
from hotwash.sharing.models import PublicVersion


def translate_sections(postmortem: Postmortem) -> None:
    """Every section written in one language only gets the same text in the
    other, as a translator would (written directly: the postmortem may be
    published, when the editor no longer takes changes)."""
    written = {(s.key, s.language): s.body for s in postmortem.sections.all() if s.body.strip()}
    for (key, language), body in written.items():
        other = "fr" if language == "en" else "en"
        if (key, other) not in written:
            Section.objects.update_or_create(
                postmortem=postmortem,
                key=key,
                language=other,
                defaults={"body": body, "updated_at": timezone.now()},
            )


def share_publicly(
    postmortem: Postmortem,
    actor: User,
    *,
    other_title: str = "Titre public",
    translate: bool = False,
) -> PublicVersion:
    """The postmortem (approved or published, its sections written in both
    languages, or `translate`d first) shared publicly through a confirmed
    public version."""
    if translate:
        translate_sections(postmortem)
    sharing.prepare_public_version(postmortem, actor=actor)
    other = "fr" if postmortem.original_language == "en" else "en"
    sharing.set_title(postmortem, actor=actor, language=other, title=other_title)
    return sharing.confirm_public_version(postmortem, actor=actor, confirmed=True)
