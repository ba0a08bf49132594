"""Signals for other apps (notifications, webhooks), sent inside the write's
transaction; their receivers are listed in hotwash.wiring.reactions."""

from django.dispatch import Signal

# A postmortem was drafted or created: postmortem, actor, now.
postmortem_created = Signal()
# A postmortem changed status: postmortem, actor, previous (status), now.
postmortem_status_changed = Signal()
# A section's text was saved (a new version): section, actor, now.
section_saved = Signal()
