"""Signals of the status page app, sent inside the write's transaction.

Receivers are connected (and what they do listed) in hotwash.wiring.reactions.
"""

from django.dispatch import Signal

# Sent after a stakeholder update is published (statuspage.services): update
# (the StakeholderUpdate), incident, now.
update_published = Signal()
