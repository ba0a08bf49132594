from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Near misses and confidential concerns. Its timeline describer (an
    incident declared from a near miss) is registered by hotwash.wiring.startup."""

    name = "hotwash.reports"
    label = "reports"
    verbose_name = _("Near misses and concerns")
