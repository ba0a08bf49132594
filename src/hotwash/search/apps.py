from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    """One search over incidents, postmortems, action items and alert
    groups, in English and French; similar incidents."""

    name = "hotwash.search"
    label = "search"
    verbose_name = _("Search")
