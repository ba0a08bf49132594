"""Every write the chat front ends make that is not already an incident
service: remembering conversations and identities, handling a platform
event once, and a conversation's messages on the timeline.

Commands (`/incident status monitoring`) call the incidents' and status
page's own service functions (commands.py); this module only adds what is
particular to chat. Each function writes its rows, the timeline entry and
the audit record in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.chat.models import (
    ChatConversation,
    ChatIdentity,
    ChatMessageEntry,
    ChatReceipt,
    LinkedBy,
)
from hotwash.core.audit import record_audit
from hotwash.core.errors import NotFound, PermissionDenied
from hotwash.incidents.models import Incident, TimelineEvent, TimelineKind
from hotwash.incidents.queries import can_view
from hotwash.incidents.services import declare_incident, record_system_event
from hotwash.live.bus import publish_incident_change

# How long a handled event id is remembered: platforms retry within
# minutes (Slack three times over about an hour), so a day is plenty.
RECEIPTS_KEPT = timedelta(days=1)


def first_time(platform: str, event_id: str, *, now: datetime | None = None) -> bool:
    """True the first time `event_id` of `platform` is seen, False for a
    retry of it. Call it in the transaction that acts on the event, so a
    crash forgets both."""
    try:
        with transaction.atomic():
            ChatReceipt.objects.create(
                platform=platform, event_id=event_id, received_at=now or timezone.now()
            )
    except IntegrityError:
        return False
    return True


def forget_old_receipts(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - RECEIPTS_KEPT
    deleted, _ = ChatReceipt.objects.filter(received_at__lt=cutoff).delete()
    return deleted


# --- identities --------------------------------------------------------------------


def account_for(platform: str, external_id: str) -> User | None:
    identity = (
        ChatIdentity.objects.select_related("user")
        .filter(platform=platform, external_id=external_id, user__is_active=True)
        .first()
    )
    return identity.user if identity else None


def account_by_verified_email(email: str) -> User | None:
    """The one active account with this address; None when there is none or
    several (an address shared by two accounts identifies nobody)."""
    matches = list(User.objects.filter(email__iexact=email.strip(), is_active=True)[:2])
    return matches[0] if len(matches) == 1 and email.strip() else None


def link_identity(
    platform: str,
    external_id: str,
    user: User,
    *,
    linked_by: str,
    display_name: str = "",
    now: datetime | None = None,
) -> ChatIdentity:
    """Remember that `external_id` on `platform` is `user` (by their
    verified email, or because they linked it themselves). Linking again
    moves the identity to the new account."""
    now = now or timezone.now()
    with transaction.atomic():
        identity, created = ChatIdentity.objects.select_for_update().get_or_create(
            platform=platform,
            external_id=external_id,
            defaults={
                "user": user,
                "display_name": display_name,
                "linked_by": linked_by,
                "linked_at": now,
            },
        )
        if not created and (identity.user_id != user.pk or identity.linked_by != linked_by):
            identity.user = user
            identity.linked_by = linked_by
            identity.display_name = display_name or identity.display_name
            identity.linked_at = now
            identity.save()
        elif not created:
            return identity
        record_audit(
            actor=user if linked_by == LinkedBy.PERSON else None,
            action="chat.identity_linked",
            obj=identity,
            changes={"platform": platform, "external_id": external_id, "user": user.username},
            now=now,
        )
    return identity


def unlink_identity(identity: ChatIdentity, *, actor: User, now: datetime | None = None) -> None:
    with transaction.atomic():
        record_audit(
            actor=actor,
            action="chat.identity_unlinked",
            obj=identity,
            changes={"platform": identity.platform, "external_id": identity.external_id},
            now=now,
        )
        identity.delete()


# --- conversations -------------------------------------------------------------------


def declare_from_chat(
    *,
    actor: User,
    platform: str,
    requested_by: str,
    language: str,
    title: str,
    severity: object = None,
    services: list[str] | None = None,
    private: bool = False,
    service_url: str = "",
    now: datetime | None = None,
) -> Incident:
    """Declare an incident from a chat platform and ask for its own
    conversation there, in one transaction. `service_url`: where the
    platform takes requests about it, on platforms that say so per
    conversation (Teams' serviceUrl)."""
    with transaction.atomic():
        incident = declare_incident(
            actor=actor,
            title=title,
            severity=severity,
            services=services or [],
            private=private,
            now=now,
        )
        request_conversation(
            incident,
            platform=platform,
            language=language,
            requested_by=requested_by,
            service_url=service_url,
            now=now,
        )
    return incident


def request_conversation(
    incident: Incident,
    *,
    platform: str,
    language: str,
    requested_by: str = "",
    service_url: str = "",
    now: datetime | None = None,
) -> ChatConversation:
    """Ask for the incident's own conversation on `platform`. Call it in the
    transaction that declares the incident: the row is written now, and
    routing gives the `incident.declared` event a delivery to the
    platform's channel, which opens it (retried and shown like any
    delivery). Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        conversation, created = ChatConversation.objects.get_or_create(
            platform=platform,
            incident=incident,
            defaults={
                "language": language,
                "private": incident.private,
                "requested_by": requested_by,
                "service_url": service_url,
                "created_at": now,
            },
        )
        if created:
            record_audit(
                actor=None,
                action="chat.conversation_requested",
                obj=conversation,
                changes={"platform": platform, "requested_by": requested_by},
                now=now,
            )
    return conversation


def record_opened(
    conversation: ChatConversation,
    *,
    conversation_id: str,
    name: str,
    service_url: str = "",
    now: datetime | None = None,
) -> ChatConversation:
    """The platform created the conversation: remember its id and name.
    Idempotent (a retried delivery records it once)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = ChatConversation.objects.select_for_update().get(pk=conversation.pk)
        if row.conversation_id:
            return row
        row.conversation_id = conversation_id
        row.name = name
        row.service_url = service_url
        row.opened_at = now
        row.save(update_fields=["conversation_id", "name", "service_url", "opened_at"])
        record_audit(
            actor=None,
            action="chat.conversation_opened",
            obj=row,
            changes={"platform": row.platform, "conversation": name or conversation_id},
            now=now,
        )
        publish_incident_change(row.incident_id, "chat")
    return row


def conversation_of(platform: str, conversation_id: str) -> ChatConversation | None:
    return (
        ChatConversation.objects.select_related("incident")
        .filter(platform=platform, conversation_id=conversation_id)
        .first()
    )


# --- the timeline from the conversation ----------------------------------------------


@dataclass(frozen=True)
class ChatMessage:
    """A message as the platform gave it."""

    message_id: str
    text: str
    posted_at: datetime
    author: User | None
    author_name: str
    permalink: str = ""
    # Files are linked, never copied: [{"name": ..., "url": ...}].
    files: list[dict[str, str]] = field(default_factory=list)


def require_responder(actor: User | None, incident: Incident) -> None:
    """Marking is writing the timeline: responders and admins who can see
    the incident, as for every other timeline entry."""
    if actor is None:
        return  # Hotwash itself
    if not can_respond(actor):
        raise PermissionDenied(_("Only responders and admins can change incidents."))
    if not can_view(actor, incident):
        raise NotFound(_("No incident %(ref)s.") % {"ref": incident.ref})


def mark_message(
    conversation: ChatConversation,
    message: ChatMessage,
    *,
    mark: str,
    actor: User,
    now: datetime | None = None,
) -> TimelineEvent:
    """Put `message` on the incident's timeline, at the time it was posted,
    with its author and permalink. `mark` names what put it there ("pin",
    "reaction:U123"): a second mark on the same message adds nothing but
    keeps it there until both are removed. PermissionDenied or NotFound
    for someone who may not write the incident's timeline."""
    now = now or timezone.now()
    require_responder(actor, conversation.incident)
    with transaction.atomic():
        existing = (
            ChatMessageEntry.objects.select_for_update()
            .select_related("entry")
            .filter(conversation=conversation, message_id=message.message_id)
            .first()
        )
        if existing is not None:
            if mark not in existing.marks:
                existing.marks = [*existing.marks, mark]
                existing.save(update_fields=["marks"])
            return existing.entry
        entry = record_system_event(
            conversation.incident,
            kind=TimelineKind.CHAT,
            actor=message.author,
            body=message.text,
            occurred_at=message.posted_at,
            data=_message_data(conversation, message),
            # Someone chose this message out of the conversation: it is one
            # of the moments the catch-up and the postmortem list.
            key_moment=True,
            now=now,
        )
        ChatMessageEntry.objects.create(
            conversation=conversation,
            message_id=message.message_id,
            entry=entry,
            marks=[mark],
            created_at=now,
        )
        record_audit(
            actor=actor,
            action="chat.message_added",
            obj=entry,
            changes={"platform": conversation.platform, "message": message.message_id},
            now=now,
        )
    return entry


def unmark_message(
    conversation: ChatConversation,
    message_id: str,
    *,
    mark: str,
    actor: User | None,
    now: datetime | None = None,
) -> bool:
    """Remove `mark`; the timeline entry goes with the last one. True when
    the entry was removed. PermissionDenied or NotFound for someone who may
    not write the incident's timeline."""
    now = now or timezone.now()
    require_responder(actor, conversation.incident)
    with transaction.atomic():
        existing = (
            ChatMessageEntry.objects.select_for_update()
            .select_related("entry")
            .filter(conversation=conversation, message_id=message_id)
            .first()
        )
        if existing is None or mark not in existing.marks:
            return False
        remaining = [m for m in existing.marks if m != mark]
        if remaining:
            existing.marks = remaining
            existing.save(update_fields=["marks"])
            return False
        entry = existing.entry
        record_audit(
            actor=actor,
            action="chat.message_removed",
            obj=entry,
            changes={"platform": conversation.platform, "message": message_id, "text": entry.body},
            now=now,
        )
        entry.delete()  # the ChatMessageEntry goes with it (CASCADE)
        Incident.objects.filter(pk=conversation.incident_id).update(updated_at=now)
        publish_incident_change(conversation.incident_id, "timeline")
    return True


def _message_data(conversation: ChatConversation, message: ChatMessage) -> dict[str, Any]:
    return {
        "platform": conversation.platform,
        "conversation": conversation.name or conversation.conversation_id,
        "message_id": message.message_id,
        "author_name": message.author_name,
        # Shown as a link: http(s) only, never javascript: or the like.
        "permalink": message.permalink
        if message.permalink.startswith(("https://", "http://"))
        else "",
        "files": [
            {"name": str(f.get("name", "")), "url": str(f.get("url", ""))}
            for f in message.files
            if str(f.get("url", "")).startswith(("https://", "http://"))
        ],
    }
