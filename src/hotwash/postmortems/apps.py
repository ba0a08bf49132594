from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostmortemsConfig(AppConfig):
    name = "hotwash.postmortems"
    label = "postmortems"
    verbose_name = _("Postmortems")

    def ready(self) -> None:
        # Its reactions to incident changes are connected in
        # hotwash.wiring.reactions.
        from hotwash.incidents.display import register_describer
        from hotwash.incidents.models import TimelineKind
        from hotwash.postmortems.display import describe_postmortem_event
        from hotwash.postmortems.outlines import load_outlines

        # Fail at start-up, not on first use, when a template file is wrong.
        load_outlines()
        register_describer(TimelineKind.POSTMORTEM, describe_postmortem_event)
