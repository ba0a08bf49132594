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


class FiguresSnapshot(models.Model):
    """The insights figures (charts, drawn) for one kind of reader and one
    set of filters, as last computed: what the page shows while newer
    figures are computed in the background (see hotwash.insights.figures).

    `key` says whose figures and which filters (never the data); the
    versions say what the figures were computed from. A row whose
    `privacy_version` differs from the reader's current one is never shown:
    who may see which incident changed."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    # The reader whose figures these are; null for the admins' (shared).
    reader = models.ForeignKey(
        "auth.User",
        verbose_name=_("reader"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # What the reader asked for, to compute the figures again for them (on
    # the day the worker does it): the filters (query parameters), the
    # language and the time zone.
    filters = models.JSONField(_("filters"), default=dict)
    language = models.CharField(_("language"), max_length=16)
    zone = models.CharField(_("time zone"), max_length=64)
    # Who looked at them last, and when (at most once an hour): the worker
    # keeps the figures people look at current (as that person).
    viewer = models.ForeignKey(
        "auth.User",
        verbose_name=_("viewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    viewed_at = models.DateTimeField(_("viewed at"), null=True, blank=True)
    data_version = models.CharField(_("data version"), max_length=255)
    privacy_version = models.CharField(_("privacy version"), max_length=255)
    computed_at = models.DateTimeField(_("computed at"))
    compute_ms = models.PositiveIntegerField(_("computing time (ms)"))
    refresh_requested_at = models.DateTimeField(_("refresh requested at"), null=True, blank=True)
    figures = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("insights figures")
        verbose_name_plural = _("insights figures")
        indexes = [
            models.Index(fields=["computed_at"], name="insights_snapshot_age_idx"),
            models.Index(fields=["viewed_at"], name="insights_snapshot_viewed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key[:12]} ({self.computed_at:%Y-%m-%d %H:%M})"
