"""The event catalogue: one definition of everything that happens in
Hotwash that someone outside the change may want to hear about.

A service function (or the receiver of its signal, in its transaction)
calls `outbox.emit_event`. That writes, in the change's own transaction:

- one `Event` row (the outbox: what happened, when, to which incident,
  whether that incident was private, and a JSON snapshot of it);
- one `WebhookDelivery` per webhook subscription that wants the event
  (as before: subscribers' bodies and signatures do not change);
- one queued `route_event` task.

So the event exists if and only if the change committed. The worker then
runs `route_event` (routing.py): it decides who hears what from the
notification rules, the followers and the status page subscribers, and
writes one `Delivery` per recipient and channel with its own task, in one
transaction that also marks the event routed, so routing twice is a no-op
and a crash in between loses nothing.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """Every event Hotwash emits. Names are `<object>.<what happened>`;
    webhook consumers, notification rules and the docs rely on them."""

    INCIDENT_DECLARED = "incident.declared", _("Incident declared")
    INCIDENT_SEVERITY_CHANGED = "incident.severity_changed", _("Incident severity changed")
    INCIDENT_STATUS_CHANGED = "incident.status_changed", _("Incident status changed")
    INCIDENT_ROLE_ASSIGNED = "incident.role_assigned", _("Incident role assigned")
    INCIDENT_RESOLVED = "incident.resolved", _("Incident resolved")
    INCIDENT_CLOSED = "incident.closed", _("Incident closed")
    INCIDENT_MADE_PRIVATE = "incident.made_private", _("Incident made private")
    INCIDENT_UPDATE_PUBLISHED = "incident.update_published", _("Stakeholder update published")
    PROPOSAL_RAISED = "proposal.raised", _("Incident proposed")
    POLICY_FIRED = "policy.fired", _("Trigger policy fired")
    ACTION_CREATED = "action_item.created", _("Action item created")
    ACTION_CHANGED = "action_item.changed", _("Action item changed")
    ACTION_DONE = "action_item.done", _("Action item done")
    ACTION_DUE_SOON = "action_item.due_soon", _("Action item due soon")
    ACTION_OVERDUE = "action_item.overdue", _("Action item overdue")
    POSTMORTEM_CREATED = "postmortem.created", _("Postmortem created")
    POSTMORTEM_STATUS_CHANGED = "postmortem.status_changed", _("Postmortem status changed")
    POSTMORTEM_PUBLISHED = "postmortem.published", _("Postmortem published")
    POSTMORTEM_DUE_SOON = "postmortem.due_soon", _("Postmortem due soon")
    POSTMORTEM_OVERDUE = "postmortem.overdue", _("Postmortem overdue")


# Events about an incident itself: their data carries the incident's snapshot
# (incident_data) and their Event row its id and privacy.
INCIDENT_EVENTS = frozenset(value for value in EventType.values if value.startswith("incident."))
