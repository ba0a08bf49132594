from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackersConfig(AppConfig):
    name = "hotwash.trackers"
    label = "trackers"
    verbose_name = _("Trackers")

    def ready(self) -> None:
        # Register the periodic sync and the push task in every process.
        from hotwash.trackers import jobs, tasks  # noqa: F401
