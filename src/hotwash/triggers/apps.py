from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriggersConfig(AppConfig):
    name = "hotwash.triggers"
    label = "triggers"
    verbose_name = _("Triggers")

    def ready(self) -> None:
        # Its reactions to alerts and declarations are connected in
        # hotwash.wiring.reactions.
        from hotwash.incidents.display import register_describer
        from hotwash.incidents.models import TimelineKind
        from hotwash.triggers import describe, jobs  # noqa: F401  (registers the periodic jobs)
        from hotwash.triggers.policy import load_trigger_policies

        # Fail at start-up, not at the first alert, when the policy file is wrong.
        load_trigger_policies()
        register_describer(TimelineKind.ALERT, describe.describe_alert)
        register_describer(TimelineKind.TRIGGER, describe.describe_trigger)
        register_describer(TimelineKind.CHANGE, describe.describe_change)
