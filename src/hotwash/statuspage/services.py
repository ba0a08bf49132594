"""Write-side functions of stakeholder updates.

`publish_update` writes the update, its timeline entry and its audit
record, sends `update_published` (the status page re-renders from it) and
records the `incident.update_published` event in the outbox, all in one
transaction: either everything happens or nothing does.

Who may publish: anyone who may change the incident, that is a responder
or an admin who can see it. The communications lead and the commander are
responders; viewers never publish. (Limiting it to the role holders would
leave an incident without a communications lead unable to tell anyone.)

The blameless-language assistant reads both texts. Its findings do not
block the publication (an update is often urgent) but are never silent:
the API returns them with the update, the CLI prints them, and the web form
shows them and asks for a second click before publishing text with
findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.blameless.engine import Finding, lint
from hotwash.blameless.people import organisation_names
from hotwash.core.audit import record_audit
from hotwash.core.errors import InvalidInput, NotFound, PermissionDenied
from hotwash.incidents.models import Incident, TimelineKind
from hotwash.incidents.queries import can_view
from hotwash.incidents.services import record_system_event
from hotwash.notifications.events import EventType
from hotwash.notifications.outbox import emit_event
from hotwash.notifications.payloads import incident_data
from hotwash.policies import update_policy
from hotwash.statuspage.models import Audience, PublicStatus, StakeholderUpdate
from hotwash.statuspage.signals import update_published

Actor = User | AnonymousUser | None

LANGUAGES = ("en", "fr")
TEXT_MAX = 5000


@dataclass
class Published:
    update: StakeholderUpdate
    # {"en": [Finding, ...], "fr": [...]}: blameful wording the assistant saw.
    findings: dict[str, list[Finding]] = field(default_factory=dict)


def can_publish(user: Actor, incident: Incident) -> bool:
    return user is not None and can_respond(user) and can_view(user, incident)


def _require_publisher(actor: Actor, incident: Incident) -> None:
    if actor is None or not can_respond(actor):
        raise PermissionDenied(
            _("Only responders and admins can publish updates; you can read them.")
        )
    if not can_view(actor, incident):
        raise NotFound(_("No incident %(ref)s.") % {"ref": incident.ref})


def _missing_message(language: str) -> str:
    if language == "fr":
        return _("French text is missing: a public update is published in English and French.")
    return _("English text is missing: a public update is published in English and French.")


def clean_update(
    incident: Incident, *, audience: object, status: object, text: dict[str, Any]
) -> tuple[str, str, dict[str, str]]:
    """The audience, status and texts, checked; InvalidInput names the
    first thing wrong (the field is "audience", "status", "text.en" or
    "text.fr")."""
    if audience not in Audience.values:
        raise InvalidInput(
            _("Unknown audience %(value)s; use internal or public.") % {"value": audience},
            field="audience",
        )
    if status not in PublicStatus.values:
        raise InvalidInput(
            _("Unknown status %(value)s; use investigating, identified, monitoring or resolved.")
            % {"value": status},
            field="status",
        )
    texts = {language: str(text.get(language) or "").strip() for language in LANGUAGES}
    for language, value in texts.items():
        if len(value) > TEXT_MAX:
            raise InvalidInput(
                _("The text is %(length)d characters long; the limit is %(limit)d.")
                % {"length": len(value), "limit": TEXT_MAX},
                field=f"text.{language}",
            )
    if audience == Audience.PUBLIC:
        if incident.private:
            raise InvalidInput(
                _(
                    "%(ref)s is private: a public update would tell the world about it. "
                    "Make the incident public first, or publish an internal update."
                )
                % {"ref": incident.ref},
                field="audience",
            )
        for language in update_policy().public_languages:
            if not texts[language]:
                raise InvalidInput(_missing_message(language), field=f"text.{language}")
    elif not any(texts.values()):
        raise InvalidInput(_("Write the update in English or French (or both)."), field="text.en")
    return str(audience), str(status), texts


def check_wording(incident: Incident, texts: dict[str, str]) -> dict[str, list[Finding]]:
    """What the blameless-language assistant finds in each text, in its own
    language's rules; every account's name is known, participant or not, so
    naming anyone as a cause is seen."""
    accounts = organisation_names()  # once for both languages
    return {
        language: found
        for language, text in texts.items()
        if text and (found := lint(text, language, accounts=accounts))
    }


def publish_update(
    incident: Incident,
    *,
    actor: Actor,
    audience: object,
    status: object,
    text: dict[str, Any],
    now: datetime | None = None,
) -> Published:
    """Publish a stakeholder update on `incident`. Raises PermissionDenied
    (a viewer), NotFound (an incident the actor cannot see) or InvalidInput
    (naming the field); nothing is written then."""
    now = timezone.now() if now is None else now
    author = actor if isinstance(actor, User) else None
    with transaction.atomic():
        # The incident as it is now, locked: an incident made private a
        # moment ago must not get a public update from a page loaded before.
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        _require_publisher(actor, incident)
        audience, status, texts = clean_update(
            incident, audience=audience, status=status, text=text
        )
        findings = check_wording(incident, texts)
        update = StakeholderUpdate.objects.create(
            incident=incident,
            audience=audience,
            status=status,
            text_en=texts["en"],
            text_fr=texts["fr"],
            author=author,
            published_at=now,
        )
        record_system_event(
            incident,
            kind=TimelineKind.STAKEHOLDER,
            actor=actor,
            # The texts too, so the entry reads in each reader's language
            # without another query (describe.describe_update).
            data={"update": update.pk, "audience": audience, "status": status, "text": texts},
            body=f"{audience.capitalize()} update ({status}): {texts['en'] or texts['fr']}",
            now=now,
        )
        record_audit(
            actor=actor,
            action="statuspage.update_published",
            obj=update,
            changes={
                "incident": incident.ref,
                "audience": audience,
                "status": status,
                "text": texts,
                "findings": {lang: len(found) for lang, found in findings.items()},
            },
            now=now,
        )
        update_published.send(
            sender=StakeholderUpdate, update=update, incident=incident, actor=actor, now=now
        )
        emit_event(
            EventType.INCIDENT_UPDATE_PUBLISHED,
            {
                "incident": incident_data(incident),
                "actor": author.username if author else None,
                "update": update_data(update),
            },
            incident=incident,
            actor=actor,
            now=now,
        )
    return Published(update=update, findings=findings)


def update_data(update: StakeholderUpdate) -> dict[str, Any]:
    return {
        "id": update.pk,
        "audience": update.audience,
        "status": update.status,
        "text": {"en": update.text_en, "fr": update.text_fr},
        "published_at": update.published_at.isoformat(),
    }
