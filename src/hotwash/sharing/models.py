"""Public versions of postmortems.

A public version is what the public pages show of a postmortem: its title
and sections in both languages, with people's names, addresses, internal
hosts and links, and the organisation's references replaced. It is stored,
never computed on the way to the reader: what was confirmed and published
stays published, word for word, until the author confirms a new one.

A postmortem has at most one draft (being reviewed) and the versions
confirmed before it; the newest confirmed one is the one shown. A change to
the original after a version was prepared flags it stale (never changes it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotwash.postmortems.models import Language, Postmortem

# The key of a version's title among its texts (section keys are slugs of
# the template, never this).
TITLE = "_title"


class PublicVersionQuerySet(models.QuerySet["PublicVersion"]):
    def confirmed(self) -> PublicVersionQuerySet:
        return self.filter(confirmed_at__isnull=False)

    def drafts(self) -> PublicVersionQuerySet:
        return self.filter(confirmed_at__isnull=True)


class PublicVersion(models.Model):
    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="public_versions"
    )
    prepared_at = models.DateTimeField(_("prepared"))
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the author marked for replacement ([{"text", "kind"}]) and the
    # originals they chose to keep (["Postgres"]): carried to the next
    # version prepared, so a decision is made once.
    marked = models.JSONField(_("marked"), default=list, blank=True)
    kept = models.JSONField(_("kept"), default=list, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The original changed after this version was prepared.
    stale = models.BooleanField(_("stale"), default=False)

    objects = PublicVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("public version")
        verbose_name_plural = _("public versions")
        ordering = ["-prepared_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem"],
                condition=models.Q(confirmed_at__isnull=True),
                name="public_version_one_draft",
            )
        ]

    def __str__(self) -> str:
        return f"{self.postmortem_id}:{self.pk}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class PublicText(models.Model):
    """One text of a public version (its title, or one section) in one
    language: the original as it was when prepared, the public text, and
    the replacements made (offsets into the original)."""

    version = models.ForeignKey(PublicVersion, on_delete=models.CASCADE, related_name="texts")
    key = models.CharField(_("section"), max_length=50)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    original = models.TextField(_("original"), blank=True)
    text = models.TextField(_("public text"), blank=True)
    replacements = models.JSONField(_("replacements"), default=list, blank=True)

    class Meta:
        verbose_name = _("public text")
        verbose_name_plural = _("public texts")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "key", "language"], name="public_text_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version_id}:{self.key}:{self.language}"
