"""How a near miss that became an incident reads on that incident's
timeline, in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from hotwash.incidents.models import TimelineEvent
from hotwash.reports.models import REF_PREFIX


def describe_report_event(event: TimelineEvent) -> str:
    """Where the incident came from. The report's number only: the report
    itself is for its reviewers, and never names who filed it here."""
    number = (event.data or {}).get("report")
    if number is None:
        return event.body
    return _("Declared from near-miss report %(ref)s.") % {"ref": f"{REF_PREFIX}{number}"}
