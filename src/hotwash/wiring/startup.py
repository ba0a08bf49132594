"""What Hotwash checks and registers at start-up, once every app is loaded.

Called by `WiringConfig.ready()`, after every other app's `ready()`. Here,
not in each app's own `ready()`, because these imports need the app
registry ready (they import models) and because some go upwards: the
foundation (`core`) must not import `policies`' loader, and `postmortems`
must not import `actions` or `triggers`, whose functions they are given.

In order:
- the configuration files are read and validated, so a wrong file stops
  the start instead of the first request or alert that needs it: the policy
  file (HOTWASH_POLICY_FILE), the organisation's blameless rule files
  (HOTWASH_BLAMELESS_RULES), the postmortem templates, the trigger policies, the notification rules
  (HOTWASH_NOTIFICATION_POLICY_FILE);
- the registries are filled: how each app's timeline entries read, and
  what postmortems ask of actions and triggers;
- the modules that declare periodic jobs and queued tasks are imported, so
  that every process (web or worker) knows them.
"""

from __future__ import annotations

# Imported for what they register (@periodic jobs, @task functions).
import hotwash.chat.jobs
import hotwash.insights.figures
import hotwash.insights.jobs
import hotwash.jobs.housekeeping
import hotwash.notifications.jobs
import hotwash.notifications.routing
import hotwash.statuspage.jobs
import hotwash.statuspage.subscriptions
import hotwash.statuspage.update_jobs
import hotwash.trackers.jobs
import hotwash.trackers.tasks
import hotwash.triggers.jobs  # noqa: F401
from hotwash.actions import display as action_display
from hotwash.actions.queries import postmortem_items, postmortem_progress
from hotwash.actions.services import approval_blockers
from hotwash.blameless.engine import check_rules
from hotwash.chat.recipients import incident_conversations
from hotwash.core.process import is_client_only
from hotwash.incidents.display import register_describer
from hotwash.incidents.links_display import describe_link, describe_merge
from hotwash.incidents.models import TimelineKind
from hotwash.notifications.follows import follower_deliveries
from hotwash.notifications.routing import load_notification_policy, register_recipient_source
from hotwash.policies import load_policies
from hotwash.postmortems import hooks
from hotwash.postmortems.display import describe_postmortem_event
from hotwash.postmortems.outlines import load_outlines
from hotwash.reports.display import describe_report_event
from hotwash.sharing.queries import public_texts
from hotwash.statuspage.describe import describe_update
from hotwash.statuspage.subscriptions import recipients as status_subscribers
from hotwash.statuspage.update_texts import load_update_templates
from hotwash.triggers import describe
from hotwash.triggers.policy import load_trigger_policies
from hotwash.triggers.services import full_postmortem_required


def start() -> None:
    # A client command's process reads no configuration file (core/process.py).
    if not is_client_only():
        check_configuration()
    fill_registries()


def check_configuration() -> None:
    """Fail at start-up, not on first use, when a configuration file is wrong."""
    load_policies()
    check_rules()
    load_outlines()
    load_trigger_policies()
    load_notification_policy()
    load_update_templates()


def fill_registries() -> None:
    # Timeline entries written by other apps read in each reader's language.
    register_describer(TimelineKind.POSTMORTEM, describe_postmortem_event)
    register_describer(TimelineKind.ACTION_ITEM, action_display.describe)
    register_describer(TimelineKind.ALERT, describe.describe_alert)
    register_describer(TimelineKind.TRIGGER, describe.describe_trigger)
    register_describer(TimelineKind.CHANGE, describe.describe_change)
    register_describer(TimelineKind.STAKEHOLDER, describe_update)
    register_describer(TimelineKind.REPORT, describe_report_event)
    register_describer(TimelineKind.LINK, describe_link)
    register_describer(TimelineKind.MERGE, describe_merge)
    hooks.fill(
        full_postmortem_required=full_postmortem_required,
        approval_blockers=approval_blockers,
        action_items=postmortem_items,
        action_progress=postmortem_progress,
        public_versions=public_texts,
    )
    # Public updates reach the status page's confirmed mail subscribers.
    register_recipient_source(status_subscribers)
    # Followers of an incident or its services hear of it by mail.
    register_recipient_source(follower_deliveries)
    # An incident's own chat conversation hears of every change.
    register_recipient_source(incident_conversations)
