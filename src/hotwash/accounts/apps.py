from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Its signal receivers (token cache, sign-in audit records) are
    connected in hotwash.wiring.reactions."""

    name = "hotwash.accounts"
    label = "accounts"
    verbose_name = _("Accounts")
