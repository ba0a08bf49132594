"""Signals other apps subscribe to (who does: hotwash.wiring.reactions).

Sent inside the write's transaction, so a receiver's own writes commit or
roll back with the change. Receivers must not call the network: queue a task
(it runs after the commit) instead.
"""

from django.dispatch import Signal

# Sent after an action item is created or changed, with sender=ActionItem and
#   item:    the ActionItem, as saved;
#   actor:   the User who made the change, or None for Hotwash itself
#            (a tracker webhook, a periodic sync, demo data);
#   changes: on creation {"created": True, "title": ..., "owner": username or
#            None, "due_on": "YYYY-MM-DD" or None, "status": ..., "priority":
#            ..., "kind": ..., "team": slug or None, "incident": id or None,
#            "postmortem": id or None}; on change {field: {"from": old, "to":
#            new}} for each field that really changed, JSON-ready (dates as
#            ISO text, owner as username, team as slug);
#   now:     the time of the change (timezone-aware).
action_item_changed = Signal()
