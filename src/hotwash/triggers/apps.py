from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriggersConfig(AppConfig):
    name = "hotwash.triggers"
    label = "triggers"
    verbose_name = _("Triggers")

    def ready(self) -> None:
        from hotwash.alerts.signals import alerts_received
        from hotwash.incidents.display import register_describer
        from hotwash.incidents.models import TimelineKind
        from hotwash.incidents.signals import incident_declared
        from hotwash.triggers import describe, jobs  # noqa: F401  (registers the periodic jobs)
        from hotwash.triggers.alerting import on_alerts_received
        from hotwash.triggers.detection import on_incident_declared
        from hotwash.triggers.policy import load_trigger_policies

        # Fail at start-up, not at the first alert, when the policy file is wrong.
        load_trigger_policies()
        alerts_received.connect(on_alerts_received, dispatch_uid="hotwash.triggers.alerts")
        incident_declared.connect(on_incident_declared, dispatch_uid="hotwash.triggers.detection")
        register_describer(TimelineKind.ALERT, describe.describe_alert)
        register_describer(TimelineKind.TRIGGER, describe.describe_trigger)
        register_describer(TimelineKind.CHANGE, describe.describe_change)
