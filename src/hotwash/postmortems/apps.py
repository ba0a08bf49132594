from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostmortemsConfig(AppConfig):
    """Its reactions to incident changes are connected in hotwash.wiring.reactions;
    its templates are checked, its describer and hooks filled, by
    hotwash.wiring.startup."""

    name = "hotwash.postmortems"
    label = "postmortems"
    verbose_name = _("Postmortems")
