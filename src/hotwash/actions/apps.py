from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActionItemsConfig(AppConfig):
    name = "hotwash.actions"
    label = "actions"
    verbose_name = _("Action items")

    def ready(self) -> None:
        from hotwash.actions.display import describe
        from hotwash.incidents.display import register_describer
        from hotwash.incidents.models import TimelineKind

        # Timeline entries about action items read in each reader's language.
        register_describer(TimelineKind.ACTION_ITEM, describe)
