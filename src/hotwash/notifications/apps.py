from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "hotwash.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from hotwash.actions.signals import action_item_changed
        from hotwash.notifications import jobs  # noqa: F401  (registers the periodic jobs)
        from hotwash.notifications.receivers import (
            on_action_item_changed,
            on_postmortem_created,
            on_postmortem_status_changed,
        )
        from hotwash.postmortems.signals import postmortem_created, postmortem_status_changed

        action_item_changed.connect(
            on_action_item_changed, dispatch_uid="notifications.action_item_webhooks"
        )
        postmortem_created.connect(
            on_postmortem_created, dispatch_uid="notifications.postmortem_created_webhooks"
        )
        postmortem_status_changed.connect(
            on_postmortem_status_changed, dispatch_uid="notifications.postmortem_status_webhooks"
        )
