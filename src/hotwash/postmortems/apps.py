from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostmortemsConfig(AppConfig):
    name = "hotwash.postmortems"
    label = "postmortems"
    verbose_name = _("Postmortems")

    def ready(self) -> None:
        from hotwash.incidents.display import register_describer
        from hotwash.incidents.models import TimelineKind
        from hotwash.incidents.signals import incident_updated
        from hotwash.postmortems.display import describe_postmortem_event
        from hotwash.postmortems.outlines import load_outlines
        from hotwash.postmortems.services import on_incident_made_private, on_incident_updated

        # Fail at start-up, not on first use, when a template file is wrong.
        load_outlines()
        register_describer(TimelineKind.POSTMORTEM, describe_postmortem_event)
        incident_updated.connect(
            on_incident_updated, weak=False, dispatch_uid="postmortems-on-incident-updated"
        )
        # Every path that makes an incident private (pages, API, CLI, trigger
        # policies) goes through this signal: public sharing ends there.
        incident_updated.connect(
            on_incident_made_private, weak=False, dispatch_uid="postmortems-on-incident-private"
        )
