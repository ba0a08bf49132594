from django.db import models
from django.utils.translation import gettext_lazy as _

from hotwash.insights.access import VIEW_PERMISSION


class InsightsAccess(models.Model):
    """No rows: the holder of the app's one permission, "view insights"
    (a Django permission needs a model to hang from)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [(VIEW_PERMISSION, _("Can view insights and themes"))]
        verbose_name = _("insights access")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
