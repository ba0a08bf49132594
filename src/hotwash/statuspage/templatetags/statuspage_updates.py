"""`{% load statuspage_updates %}{% stakeholder_updates incident %}`: the
"Stakeholder updates" panel of the incident page: the updates published,
a hint when one is overdue, and for those who may publish, the form,
pre-filled with the starting text of the status chosen (the
`update_status` GET parameter, else the incident's own status), so it
works without JavaScript."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.incidents.display import format_duration
from hotwash.incidents.models import Incident, Status
from hotwash.statuspage.forms import UpdateForm
from hotwash.statuspage.models import PublicStatus, StakeholderUpdate
from hotwash.statuspage.services import can_publish
from hotwash.statuspage.update_reminders import overdue_update
from hotwash.statuspage.update_texts import starting_texts

register = template.Library()

# The incident's own status as readers would be told it.
FROM_INCIDENT_STATUS: dict[str, str] = {
    Status.TRIAGE: PublicStatus.INVESTIGATING,
    Status.CLOSED: PublicStatus.RESOLVED,
}


def default_status(incident: Incident, asked: str | None) -> str:
    if asked in PublicStatus.values:
        return str(asked)
    status = FROM_INCIDENT_STATUS.get(incident.status, incident.status)
    return status if status in PublicStatus.values else str(PublicStatus.INVESTIGATING)


def overdue_hint(incident: Incident) -> str:
    overdue = overdue_update(incident, timezone.now())
    if overdue is None:
        return ""
    return _("No update for %(silent)s; SEV%(level)d asks for one every %(interval)s.") % {
        "silent": format_duration(overdue.silent_for(timezone.now())),
        "level": overdue.severity,
        "interval": format_duration(overdue.interval),
    }


def panel_context(incident: Incident, user: Any, asked_status: str | None) -> dict[str, Any]:
    updates = list(StakeholderUpdate.objects.filter(incident=incident).select_related("author"))
    context: dict[str, Any] = {
        "incident": incident,
        "updates": updates,
        "overdue_hint": overdue_hint(incident) if incident.is_open else "",
        "can_publish": user is not None and can_publish(user, incident),
        "statuses": PublicStatus.choices,
    }
    if context["can_publish"]:
        status = default_status(incident, asked_status)
        texts = starting_texts(incident, status)
        context["chosen_status"] = status
        context["open_form"] = bool(asked_status) or bool(context["overdue_hint"])
        context["form"] = UpdateForm(
            initial={"status": status, "text_en": texts["en"], "text_fr": texts["fr"]},
            internal_only=incident.private,
        )
    return context


@register.inclusion_tag("statuspage/updates/_panel.html", takes_context=True)
def stakeholder_updates(context: template.Context, incident: Incident) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    asked = request.GET.get("update_status") if request is not None else None
    data = panel_context(incident, user, asked)
    data["csrf_token"] = context.get("csrf_token")
    return data
