from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlamelessConfig(AppConfig):
    name = "hotwash.blameless"
    label = "blameless"
    verbose_name = _("Blameless language")
