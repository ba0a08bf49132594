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
        _audit_sign_ins()


def _audit_sign_ins() -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    from hotwash.accounts import sign_ins

    user_logged_in.connect(sign_ins.signed_in, dispatch_uid="audit-signed-in")
    user_logged_out.connect(sign_ins.signed_out, dispatch_uid="audit-signed-out")
    user_login_failed.connect(sign_ins.sign_in_failed, dispatch_uid="audit-sign-in-failed")
    user_locked_out.connect(sign_ins.locked_out, dispatch_uid="audit-locked-out")


def _forget_tokens(**kwargs: object) -> None:
    from hotwash.accounts.services import forget_tokens

    forget_tokens()
