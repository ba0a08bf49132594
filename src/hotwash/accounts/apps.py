from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "hotwash.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.models import User
        from django.db.models.signals import post_save

        from hotwash.accounts.models import ApiToken, Profile

        # Any change to a token, an account or a role (admin pages included)
        # must not be hidden by the short token cache.
        for model in (ApiToken, User, Profile):
            post_save.connect(_forget_tokens, sender=model, dispatch_uid=f"forget-{model.__name__}")


def _forget_tokens(**kwargs: object) -> None:
    from hotwash.accounts.services import forget_tokens

    forget_tokens()
