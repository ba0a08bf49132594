"""Signals other apps subscribe to, sent inside the write's transaction.

A receiver's writes (a drafted postmortem, a trigger firing) therefore
commit or roll back together with the incident change that caused them.
Receivers must not call the network; queue a task for that. Every receiver
is connected, and what it does listed, in hotwash.wiring.reactions.
"""

from django.dispatch import Signal

# Sent after an incident is created: incident, actor, now (the declaration's
# time, which stamped everything the declaration wrote).
incident_declared = Signal()
# Sent after fields of an incident change: incident, actor, changes
# ({field: {"from": old, "to": new}} with JSON-ready values), now.
incident_updated = Signal()
# Sent after a role changes hands: incident, actor, role, previous and holder
# (usernames or None), now.
incident_role_assigned = Signal()
# Sent after `duplicate` was merged into `survivor` (its timeline, tasks and
# participants already moved): duplicate, survivor, actor, now. Apps whose
# rows point at incidents (alert groups, action items, the search index)
# move theirs to the survivor in the same transaction.
incident_merged = Signal()
