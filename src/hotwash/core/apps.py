from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "hotwash.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Fail at start-up, not on first use, when the policy file is wrong.
        from hotwash.policies import load_policies

        load_policies()
