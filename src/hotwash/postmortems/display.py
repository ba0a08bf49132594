"""How postmortem events read on an incident's timeline, in the reader's
language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from hotwash.incidents.models import TimelineEvent


def describe_postmortem_event(event: TimelineEvent) -> str:
    data: dict[str, Any] = event.data or {}
    who = event.author.username if event.author else _("Hotwash")
    title = data.get("title", "")
    kind = data.get("event")
    if kind == "drafted":
        if data.get("due_on"):
            return _("Postmortem “%(title)s” drafted, owned by %(owner)s, due %(due)s.") % {
                "title": title,
                "owner": data.get("owner") or _("nobody yet"),
                "due": data["due_on"],
            }
        return _("Postmortem “%(title)s” drafted, owned by %(owner)s.") % {
            "title": title,
            "owner": data.get("owner") or _("nobody yet"),
        }
    messages = {
        "in_review": _("%(who)s asked for a review of the postmortem."),
        "draft": _("%(who)s took the postmortem back to draft."),
        "approved": _("%(who)s approved the postmortem."),
        "published": _("%(who)s published the postmortem."),
        "reopened": _("%(who)s reopened the postmortem as a draft."),
        "changes_requested": _("%(who)s asked for changes to the postmortem."),
        "reviewers_set": _("%(who)s named the postmortem's reviewers: %(to)s."),
        "owner_changed": _("%(who)s made %(to)s the postmortem's owner."),
        "due_on_changed": _("%(who)s set the postmortem's due date to %(to)s."),
        "imported": _("%(who)s imported the postmortem from Markdown."),
        "public_version_confirmed": _(
            "%(who)s confirmed the postmortem's public version, the redacted text readers "
            "outside see."
        ),
        "public_unshared": _("%(who)s stopped sharing the postmortem publicly."),
        "public_withdrawn": _(
            "%(who)s made the incident private: its postmortem is no longer shared publicly."
        ),
    }
    template = messages.get(str(kind))
    if template is None:
        return event.body or _("Postmortem updated.")
    target = data.get("to")
    if isinstance(target, list):
        target = ", ".join(target) or _("nobody")
    return template % {"who": who, "to": target or _("nobody")}
