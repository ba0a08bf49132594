from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    """Who reacts to its signals is listed in hotwash.wiring.reactions."""

    name = "hotwash.incidents"
    label = "incidents"
    verbose_name = _("Incidents")
