from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlamelessConfig(AppConfig):
    name = "hotwash.blameless"
    label = "blameless"
    verbose_name = _("Blameless language")

    def ready(self) -> None:
        # Fail at start-up, not on first use, when a rule file is wrong.
        from hotwash.blameless.engine import LANGUAGES, ruleset

        for language in LANGUAGES:
            ruleset(language)
