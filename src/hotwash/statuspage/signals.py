"""Signals of the statuspage app, sent inside the write's transaction.

A receiver's writes commit or roll back with the change that caused them;
receivers must not call the network (queue a task instead). Connect them
in hotwash.wiring.reactions.
"""

from django.dispatch import Signal

# Sent by services.publish_update after a stakeholder update is written,
# inside its transaction: update (the StakeholderUpdate), incident, actor,
# now. The status page re-renders from it when the update is public (the
# receiver should check `update.audience`, and do its rendering after the
# commit, e.g. with transaction.on_commit or a queued task).
update_published = Signal()
