from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatusPageConfig(AppConfig):
    """Stakeholder updates and the status page (public and internal), its
    feeds and mail subscribers. docs/communications.md."""

    name = "hotwash.statuspage"
    label = "statuspage"
    verbose_name = _("Status page")
