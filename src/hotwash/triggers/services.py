"""The triggers app's public functions, for views, the API, commands and
other apps. Each lives in the module of its concept; this is the one place
to import them from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from hotwash.incidents.models import Incident
from hotwash.triggers.alerting import check_alerts
from hotwash.triggers.changes import ChangeOutcome, record_change
from hotwash.triggers.describe import describe_firing
from hotwash.triggers.heartbeats import check_heartbeats, heartbeat_rows, ping
from hotwash.triggers.models import PolicyFiring
from hotwash.triggers.proposals import accept, dismiss, get_proposal, proposals_for
from hotwash.triggers.resolution import check_resolution_times

__all__ = [
    "ChangeOutcome",
    "CheckReport",
    "accept",
    "check_alerts",
    "check_heartbeats",
    "check_resolution_times",
    "describe_firing",
    "dismiss",
    "full_postmortem_required",
    "get_proposal",
    "heartbeat_rows",
    "ping",
    "proposals_for",
    "record_change",
    "run_checks",
]


def full_postmortem_required(incident: Incident) -> bool:
    """Whether a policy marked this incident as needing a full postmortem
    (not a lightweight one): it was escalated for taking too long, or a
    policy with `full_postmortem: true` (data loss, by default) acted on it."""
    return PolicyFiring.objects.filter(incident=incident, full_postmortem=True).exists()


@dataclass
class CheckReport:
    groups: int = 0
    silent: list[str] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)


def run_checks(now: datetime | None = None) -> CheckReport:
    """Every time-based check once: alerts firing past their thresholds,
    silent heartbeats, incidents open too long."""
    now = now or timezone.now()
    return CheckReport(
        groups=check_alerts(now),
        silent=check_heartbeats(now),
        escalated=check_resolution_times(now),
    )
