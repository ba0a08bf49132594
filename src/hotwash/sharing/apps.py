from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    """Public versions of postmortems: redacted, reviewed side by side and
    confirmed by their author. Its receiver (a section saved makes the
    public version stale) is connected by hotwash.wiring.reactions."""

    name = "hotwash.sharing"
    label = "sharing"
    verbose_name = _("Public sharing")
