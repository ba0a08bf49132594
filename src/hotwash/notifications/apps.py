from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "hotwash.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Its webhook receivers are connected in hotwash.wiring.reactions.
        from hotwash.notifications import jobs  # noqa: F401  (registers the periodic jobs)
