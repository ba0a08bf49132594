from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostmortemsConfig(AppConfig):
    name = "hotwash.postmortems"
    label = "postmortems"
    verbose_name = _("Postmortems")
