from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """Learning across incidents for managers: insights (durations, detection,
    follow-through, time invested) and themes (recurring contributing factors)."""

    name = "hotwash.insights"
    label = "insights"
    verbose_name = _("Insights")
