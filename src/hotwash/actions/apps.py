from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActionItemsConfig(AppConfig):
    name = "hotwash.actions"
    label = "actions"
    verbose_name = _("Action items")
