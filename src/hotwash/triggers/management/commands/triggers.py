"""`hotwash triggers check|validate|show`: the trigger policies on the server."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from hotwash.envconfig import ConfigurationError
from hotwash.triggers.policy import (
    DowntimePolicy,
    TriggerPolicies,
    format_duration_short,
    load_from,
    load_trigger_policies,
)
from hotwash.triggers.services import CheckReport, run_checks


class Command(BaseCommand):
    help = (
        "Trigger policies. `check` runs the time-based checks once (alerts firing past their "
        "thresholds, silent heartbeats, incidents open too long): for cron, or when no "
        "`hotwash worker` runs. `validate [FILE]` checks a policy file (default: "
        "HOTWASH_TRIGGER_POLICY_FILE) without starting anything. `show` prints the policies "
        "in force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check", "validate", "show"])
        parser.add_argument("file", nargs="?", default=None, help="validate: the file to check.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "check":
            self._check()
        elif action == "validate":
            self._validate(options["file"])
        else:
            self.stdout.write(describe(load_trigger_policies()))

    def _check(self) -> None:
        report = run_checks(timezone.now())
        self.stdout.write(check_summary(report) + "\n")

    def _validate(self, path: str | None) -> None:
        source = path or settings.TRIGGER_POLICY_FILE
        try:
            policies = load_from(source or None)
        except ConfigurationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{source or 'The shipped defaults'}: valid.\n")
        self.stdout.write(describe(policies))


def check_summary(report: CheckReport) -> str:
    """One line: "Looked at 1 alert group; silent heartbeats: none;
    escalated: none.", in the active language."""
    nothing = pgettext("check report, nothing listed", "none")
    groups = ngettext(
        "Looked at %(count)d alert group", "Looked at %(count)d alert groups", report.groups
    ) % {"count": report.groups}
    return _("%(groups)s; silent heartbeats: %(silent)s; escalated: %(escalated)s.") % {
        "groups": groups,
        "silent": ", ".join(report.silent) or nothing,
        "escalated": ", ".join(f"INC-{pk}" for pk in report.escalated) or nothing,
    }


def describe(policies: TriggerPolicies) -> str:
    lines = []
    for policy in policies.policies:
        state = "" if policy.enabled else "  (off)"
        extra = ""
        if isinstance(policy, DowntimePolicy):
            extra = f" after {format_duration_short(policy.firing_for)}"
        lines.append(f"{policy.id}: {policy.trigger}, {policy.mode}{extra}{state}")
    for heartbeat in policies.heartbeats:
        source = f" (alert {heartbeat.alert})" if heartbeat.alert else ""
        lines.append(
            f"heartbeat {heartbeat.name}: every {format_duration_short(heartbeat.period)} "
            f"+ {format_duration_short(heartbeat.grace)} grace{source}"
            + ("" if heartbeat.enabled else "  (off)")
        )
    return "\n".join(lines) + "\n"
