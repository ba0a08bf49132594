from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Its webhook receivers are connected in hotwash.wiring.reactions; its
    periodic jobs are registered by hotwash.wiring.startup."""

    name = "hotwash.notifications"
    label = "notifications"
    verbose_name = _("Notifications")
