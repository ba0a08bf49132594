from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriggersConfig(AppConfig):
    """Its reactions to alerts and declarations are connected in
    hotwash.wiring.reactions; its policy file is checked, its describers and
    periodic jobs registered, by hotwash.wiring.startup."""

    name = "hotwash.triggers"
    label = "triggers"
    verbose_name = _("Triggers")
