"""Every signal connection in Hotwash, in one place: what a change causes
elsewhere, and who writes what for it.

Services send their app's signals inside their own transaction (the
arguments are in each app's signals.py), so a receiver marked "in the
change's transaction" commits or rolls back with the change that caused it,
and its exception undoes that change. Receivers never call the network: they
queue a task, which runs only after the commit. A receiver that writes data
writes its audit record with it.

This module sits above every app (it imports them; none imports it).
`WiringConfig.ready()` connects everything once, after all apps are loaded,
and runs `startup.py` first (configuration checks, registries).

Signal (sent by)
  -> receiver
     what it does; transaction; audit record

incidents.incident_declared (incidents.services.declare_incident)
  -> triggers.detection.on_incident_declared
     A person declared an incident no alert had seen: the detection-gap
     policy records a firing and proposes "Add detection for ..." (or only
     notifies). In the declaration's transaction; audit "trigger.fired" (by
     Hotwash).

incidents.incident_updated (incidents.services.update_incident, and so
set_status, assign changes, trigger policies: every change of an incident)
  -> postmortems.services.on_incident_updated
     Resolving or closing drafts the incident's postmortem when policy asks
     for one (draft_for_incident: sections, timeline entry, audit
     "postmortem.drafted", by Hotwash), or starts the clock on an existing
     one (due date and required from policy: audit "postmortem.updated" by
     whoever resolved, because "incident_resolved"). In the resolving
     change's transaction.
  -> postmortems.services.on_incident_made_private
     Made private: the postmortem's public sharing ends
     (withdraw_public_sharing: audit "postmortem.unshared" by whoever made
     it private). In the change's transaction.
  -> triggers.detection.on_detection_recorded
     Detection recorded as "alert" after the declaration: the incident's
     open "Add detection" proposal is withdrawn (dismissed by Hotwash:
     timeline entry, audit "proposal.dismissed"). In the change's
     transaction.

incidents.incident_merged (incidents.linking.merge_incidents, after the
duplicate's timeline, tasks, participants and links moved, before it closes)
  -> alerts.merging.on_incident_merged
     The duplicate's alert groups (and so their alerts) move to the
     survivor: an alert that fires again joins the survivor. Audit
     "alert_group.moved" per group.
  -> actions.merging.on_incident_merged
     The duplicate's action items move, except those of its own postmortem
     (which stays with it). Audit "action_item.moved" per item.
  -> triggers.merging.on_incident_merged
     Heartbeats whose outage it was, and change events recorded on it,
     move. Audit "heartbeat.moved" / "changeevent.moved" per row.
  -> notifications.merging.on_incident_merged
     Its followers follow the survivor too, if they may see it (the
     follows are the record).
     All in the merge's transaction.

alerts.alerts_received (alerts.ingest, once per alert group a request
notified)
  -> triggers.alerting.on_alerts_received
     Trigger policies decide: declare or propose an incident, raise its
     severity, write the alerts on its timeline, resolve it when its alerts
     resolve. In the ingestion transaction; audit "trigger.fired" per
     firing, incident changes through update_incident (its own audit
     record). The alert rows are the record of the timeline entries.

actions.action_item_changed (actions.services, create and update)
  -> trackers.services.on_action_item_changed
     Two-way tracker sync: a new item of a team that pushes new items gets
     a pending TrackerLink (audit "tracker.push_requested" by Hotwash); an
     edit its linked issue does not show yet marks the link's changes
     pending. Both queue a worker task after the commit (the link row is
     the record). In the change's transaction.
  -> notifications.receivers.on_action_item_changed
postmortems.postmortem_created (postmortems.services: drafted or created)
  -> notifications.receivers.on_postmortem_created
postmortems.postmortem_status_changed (postmortems.services)
  -> notifications.receivers.on_postmortem_status_changed
     Webhook events: one delivery row per subscription that wants the event
     (an outbox; the rows are the record, no audit record), each sent by a
     task after the commit. In the change's transaction.

triggers.policy_fired (triggers.engine.finish)
  -> notifications.receivers.on_policy_fired
     Every firing is a "policy.fired" event (and "proposal.raised" when it
     proposed an incident): the trigger policies' "notify" mode reaches
     people through the notification rules. In the firing's transaction.

incidents.incident_declared, incident_updated, incident_role_assigned
(incidents.services)
  -> notifications.receivers.on_incident_declared / on_incident_updated /
     on_role_assigned
     Incident events into the outbox (notifications/outbox.py): an Event
     row, webhook deliveries and a queued route_event task, in the
     change's transaction (the rows are the record, no audit record).
     Connected after the postmortem and trigger receivers, so the event's
     snapshot is taken after their writes.

statuspage.update_published (statuspage.services, publishing an update)
incidents.incident_updated (status, privacy, severity or services changed)
django.db.models.signals post_save / post_delete / m2m_changed (Maintenance
and its services, Service, StakeholderUpdate, Incident deleted)
  -> statuspage.pages.on_update_published / on_incident_updated /
     on_maintenance_changed / on_service_saved / on_deleted
     Render the public status page and its feeds again after the commit
     (transaction.on_commit) into the shared store
     the thin serving layer reads (statuspage.fast). After the commit, in
     its own transaction; the stored pages are the record, no audit record.

postmortems.section_saved (postmortems.services.save_section)
  -> sharing.services.on_section_saved
     The original changed: every public version of the postmortem prepared
     before is flagged stale (never changed: what was published stays
     published until the author confirms a new one). In the save's
     transaction; audit "postmortem.public_version_stale".

django.db.models.signals.post_save (ApiToken, User, Profile)
  -> forget_tokens (accounts.services.forget_tokens)
     Any change to a token, an account or a role, admin pages included, is
     not hidden by the process's short token cache. Memory only.

django.db.models.signals.post_delete (Participant)
django.db.models.signals.post_migrate (`flush` in tests and `hotwash flush`)
  -> forget_participants (incidents.services.forget_participants)
     Services never remove participants, but an admin may delete an
     incident, and a flush empties tables without per-row signals (ids are
     then reused): the process's participant memory must not outlive them.
     Memory only.

django.contrib.auth.signals.user_logged_in / user_logged_out /
user_login_failed, axes.signals.user_locked_out
  -> accounts.sign_ins.signed_in / signed_out / sign_in_failed / locked_out
     Audit records of every way in (sign-in page, admin, single sign-on):
     "auth.logged_in", "auth.logged_out", "auth.login_failed",
     "auth.locked_out". In the sign-in request (autocommit).

django.db.models.signals post_save / post_delete (Incident, TimelineEvent,
Postmortem, ActionItem, AlertGroup), postmortems.postmortem_created and
section_saved, alerts.alerts_received, incidents.incident_merged
  -> search.index.on_incident_saved / on_incident_deleted /
     on_timeline_saved / on_timeline_deleted / on_postmortem_saved /
     on_postmortem_deleted / on_postmortem_created / on_section_saved /
     on_action_item_saved / on_action_item_deleted / on_alert_group_saved /
     on_alert_group_deleted / on_alerts_received / on_incident_merged
     The search index's documents written again (or removed) in the
     change's transaction, so a search never finds words that were rolled
     back nor misses committed ones; an incident's privacy and type are
     copied to the documents of its postmortem, items and alert groups.
     The index rows are the record, no audit record. Connected last, so
     the merge's receivers above have moved their rows before the index
     reads them.

django.core.signals.setting_changed (tests' override_settings)
  -> triggers.policy.forget_on_setting_change
     A test that overrides TRIGGER_POLICY_FILE gets that file's policies.
  -> notifications.routing.forget_policy
     A test that overrides NOTIFICATION_POLICY_FILE gets that file's rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.signals import setting_changed
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.dispatch import Signal

from hotwash.accounts import sign_ins
from hotwash.accounts.models import ApiToken, Profile
from hotwash.accounts.services import forget_tokens as forget_token_cache
from hotwash.actions import merging as action_merging
from hotwash.actions.signals import action_item_changed
from hotwash.alerts import merging as alert_merging
from hotwash.alerts.signals import alerts_received
from hotwash.incidents.models import Incident, Participant, Service
from hotwash.incidents.services import forget_participants as forget_participant_memory
from hotwash.incidents.signals import (
    incident_declared,
    incident_merged,
    incident_role_assigned,
    incident_updated,
)
from hotwash.notifications import merging as follow_merging
from hotwash.notifications import receivers as notify
from hotwash.notifications.receivers import (
    on_action_item_changed,
    on_postmortem_created,
    on_postmortem_status_changed,
)
from hotwash.notifications.routing import forget_policy as forget_notification_policy
from hotwash.postmortems.services import on_incident_made_private, on_incident_updated
from hotwash.postmortems.signals import (
    postmortem_created,
    postmortem_status_changed,
    section_saved,
)
from hotwash.search import index as search_index
from hotwash.sharing.services import on_section_saved
from hotwash.statuspage import pages as status_pages
from hotwash.statuspage.models import Maintenance, StakeholderUpdate
from hotwash.statuspage.signals import update_published
from hotwash.trackers import services as tracker_sync
from hotwash.triggers import merging as trigger_merging
from hotwash.triggers.alerting import on_alerts_received
from hotwash.triggers.detection import on_detection_recorded, on_incident_declared
from hotwash.triggers.policy import forget_on_setting_change
from hotwash.triggers.signals import policy_fired


def forget_tokens(**kwargs: Any) -> None:
    forget_token_cache()


def forget_participants(**kwargs: Any) -> None:
    forget_participant_memory()


@dataclass(frozen=True)
class Connection:
    signal: Signal
    receiver: Callable[..., None]
    dispatch_uid: str
    sender: type[models.Model] | None = None


SEARCH_CONNECTIONS: tuple[Connection, ...] = (
    *(
        Connection(signal, receiver, f"search.{name}-{model.__name__}", model)
        for model, on_saved, on_deleted in search_index.SAVED_AND_DELETED
        for signal, receiver, name in (
            (post_save, on_saved, "saved"),
            (post_delete, on_deleted, "deleted"),
        )
    ),
    Connection(postmortem_created, search_index.on_postmortem_created, "search.postmortem"),
    Connection(section_saved, search_index.on_section_saved, "search.section"),
    Connection(alerts_received, search_index.on_alerts_received, "search.alerts"),
    Connection(incident_merged, search_index.on_incident_merged, "search.merged"),
)

# In the order the apps used to connect them: receivers of one signal run
# in this order.
CONNECTIONS: tuple[Connection, ...] = (
    *(
        Connection(post_save, forget_tokens, f"forget-{model.__name__}", sender=model)
        for model in (ApiToken, User, Profile)
    ),
    Connection(user_logged_in, sign_ins.signed_in, "audit-signed-in"),
    Connection(user_logged_out, sign_ins.signed_out, "audit-signed-out"),
    Connection(user_login_failed, sign_ins.sign_in_failed, "audit-sign-in-failed"),
    Connection(user_locked_out, sign_ins.locked_out, "audit-locked-out"),
    Connection(post_delete, forget_participants, "forget-participants", sender=Participant),
    Connection(post_migrate, forget_participants, "forget-participants-after-flush"),
    Connection(incident_updated, on_incident_updated, "postmortems-on-incident-updated"),
    Connection(incident_updated, on_incident_made_private, "postmortems-on-incident-private"),
    Connection(incident_updated, on_detection_recorded, "hotwash.triggers.detection-answered"),
    Connection(action_item_changed, tracker_sync.on_action_item_changed, "trackers.two_way_sync"),
    Connection(action_item_changed, on_action_item_changed, "notifications.action_item_webhooks"),
    Connection(
        postmortem_created, on_postmortem_created, "notifications.postmortem_created_webhooks"
    ),
    Connection(
        postmortem_status_changed,
        on_postmortem_status_changed,
        "notifications.postmortem_status_webhooks",
    ),
    Connection(alerts_received, on_alerts_received, "hotwash.triggers.alerts"),
    Connection(incident_declared, on_incident_declared, "hotwash.triggers.detection"),
    Connection(setting_changed, forget_on_setting_change, "hotwash.triggers.policy-file"),
    Connection(incident_declared, notify.on_incident_declared, "notifications.incident_declared"),
    Connection(incident_updated, notify.on_incident_updated, "notifications.incident_updated"),
    Connection(incident_role_assigned, notify.on_role_assigned, "notifications.role_assigned"),
    Connection(policy_fired, notify.on_policy_fired, "notifications.policy_fired"),
    Connection(setting_changed, forget_notification_policy, "notifications.policy-file"),
    Connection(update_published, status_pages.on_update_published, "statuspage.render-update"),
    Connection(incident_updated, status_pages.on_incident_updated, "statuspage.render-incident"),
    *(
        Connection(signal, status_pages.on_maintenance_changed, f"statuspage.render-{name}", sender)
        for signal, name, sender in (
            (post_save, "maintenance-saved", Maintenance),
            (post_delete, "maintenance-deleted", Maintenance),
            (m2m_changed, "maintenance-services", Maintenance.services.through),
        )
    ),
    Connection(post_save, status_pages.on_service_saved, "statuspage.render-service", Service),
    *(
        Connection(
            post_delete, status_pages.on_deleted, f"statuspage.render-{model.__name__}", model
        )
        for model in (Service, Incident, StakeholderUpdate)
    ),
    Connection(section_saved, on_section_saved, "sharing.public-version-stale"),
    Connection(incident_merged, alert_merging.on_incident_merged, "alerts.follow-merge"),
    Connection(incident_merged, action_merging.on_incident_merged, "actions.follow-merge"),
    Connection(incident_merged, trigger_merging.on_incident_merged, "triggers.follow-merge"),
    Connection(incident_merged, follow_merging.on_incident_merged, "notifications.follow-merge"),
    # Last: the index reads what the receivers above wrote.
    *SEARCH_CONNECTIONS,
)


def connect() -> None:
    """Connect every receiver above (once: the dispatch uids make a second
    call a no-op). Strong references: the receivers are module functions,
    alive as long as the process."""
    for connection in CONNECTIONS:
        connection.signal.connect(
            connection.receiver,
            sender=connection.sender,
            weak=False,
            dispatch_uid=connection.dispatch_uid,
        )
