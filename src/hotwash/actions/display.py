"""How action items read on an incident's timeline, in the reader's language.

Timeline entries of kind ACTION_ITEM keep structured `data`; this module
turns it into a sentence at display time. The keys it understands (other
apps writing ACTION_ITEM entries use the same ones):

- always: "item" (id), "ref" ("AI-7"), "title"; "titles" ({"en": ..., "fr": ...})
  when Hotwash wrote the title, read in the reader's language;
- "event": "created" with "owner" (username or null; "owner_name", the
  name to read, when written since names were stored) and "due_on" (ISO date);
- "event": "updated" with "changes": {field: {"from": ..., "to": ...}}
  (fields: status, owner, due_on, title, description, priority, kind, team,
  wont_do_reason);
- "event": "tracker_linked" with "url" (and optionally "tracker": "github",
  "gitlab" or "jira");
- "event": "tracker_failed" with "tracker" and "error" (a short reason);
- anything else reads as the entry's `body`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from hotwash.actions.models import CLOSED_STATUSES, ActionItem, Kind, Priority, Status
from hotwash.core.choices import choice_label
from hotwash.incidents.display import named
from hotwash.incidents.models import TimelineEvent

TRACKER_NAMES = {"github": "GitHub", "gitlab": "GitLab", "jira": "Jira"}


def format_date(value: Any) -> str:
    if value in (None, ""):
        return _("(none)")
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return date_format(day, "Y-m-d")


def field_label(field: str) -> str:
    field = {"due": "due_on", "reason": "wont_do_reason"}.get(field, field)
    try:
        model_field = ActionItem._meta.get_field(field)
    except FieldDoesNotExist:  # a key from another app's entry
        return field
    return str(getattr(model_field, "verbose_name", field)).capitalize()


def format_value(field: str, value: Any) -> str:
    if value in (None, ""):
        return _("(none)")
    if field == "status":
        return choice_label(Status, value)
    if field == "priority":
        return choice_label(Priority, value)
    if field == "kind":
        return choice_label(Kind, value)
    if field in ("due_on", "due"):
        return format_date(value)
    if field == "owner":  # a username: the person by name
        return named({"owner": value}, "owner")
    return str(value)


def _status_sentence(ref: str, title: str, change: dict[str, Any], reason: str) -> str:
    values = {"ref": ref, "title": title}
    to = change.get("to")
    if to == Status.DONE:
        return _("Action item %(ref)s (%(title)s) is done.") % values
    if to == Status.WONT_DO:
        return _("Action item %(ref)s (%(title)s) will not be done: %(reason)s") % {
            **values,
            "reason": reason,
        }
    if to == Status.IN_PROGRESS and change.get("from") == Status.OPEN:
        return _("Action item %(ref)s (%(title)s) is in progress.") % values
    if change.get("from") in CLOSED_STATUSES:
        return _("Action item %(ref)s (%(title)s) was reopened (%(status)s).") % {
            **values,
            "status": choice_label(Status, to),
        }
    return _("Action item %(ref)s (%(title)s) is now %(status)s.") % {
        **values,
        "status": choice_label(Status, to),
    }


def describe(event: TimelineEvent) -> str:
    data = event.data or {}
    ref = str(data.get("ref") or "")
    # "titles": the title Hotwash wrote, in every language.
    titles = data.get("titles") or {}
    title = str(titles.get((get_language() or "")[:2]) or data.get("title") or "")
    kind = data.get("event")
    if kind == "created":
        if data.get("owner"):
            return _("Action item %(ref)s created: %(title)s (owner %(owner)s, due %(due)s).") % {
                "ref": ref,
                "title": title,
                "owner": named(data, "owner"),
                "due": format_date(data.get("due_on")),
            }
        return _("Action item %(ref)s drafted: %(title)s (no owner yet).") % {
            "ref": ref,
            "title": title,
        }
    if kind == "updated":
        changes: dict[str, Any] = dict(data.get("changes") or {})
        sentences = []
        if "status" in changes:
            reason = str((changes.get("wont_do_reason") or {}).get("to") or "")
            sentences.append(_status_sentence(ref, title, changes.pop("status"), reason))
            changes.pop("wont_do_reason", None)
        for field, change in changes.items():
            if field == "description":
                sentences.append(_("Action item %(ref)s: description updated.") % {"ref": ref})
                continue
            if not isinstance(change, dict):
                continue
            sentences.append(
                _("Action item %(ref)s: %(field)s changed from %(old)s to %(new)s.")
                % {
                    "ref": ref,
                    "field": field_label(field),
                    "old": format_value(field, change.get("from")),
                    "new": format_value(field, change.get("to")),
                }
            )
        return " ".join(sentences) or event.body
    if kind == "tracker_linked":
        return _("Action item %(ref)s is tracked at %(url)s.") % {
            "ref": ref,
            "url": data.get("url", ""),
        }
    if kind == "tracker_failed":
        tracker = str(data.get("tracker") or "")
        return _("Action item %(ref)s could not be synced with %(tracker)s: %(error)s") % {
            "ref": ref,
            "tracker": TRACKER_NAMES.get(tracker, tracker),
            "error": data.get("error", ""),
        }
    return event.body
