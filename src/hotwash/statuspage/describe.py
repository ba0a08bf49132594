"""How stakeholder updates read on the incident's timeline, in the
reader's language (registered in hotwash.wiring.startup)."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from hotwash.core.choices import choice_label
from hotwash.incidents.models import TimelineEvent
from hotwash.statuspage.models import Audience, PublicStatus


def describe_update(event: TimelineEvent) -> str:
    data = event.data or {}
    texts = data.get("text") or {}
    language = (get_language() or "en")[:2]
    other = "en" if language == "fr" else "fr"
    text = texts.get(language) or texts.get(other) or ""
    status = choice_label(PublicStatus, data.get("status"))
    if data.get("audience") == Audience.PUBLIC:
        return _("Public update published (%(status)s): %(text)s") % {
            "status": status,
            "text": text,
        }
    return _("Internal update published (%(status)s): %(text)s") % {
        "status": status,
        "text": text,
    }
