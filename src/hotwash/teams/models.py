from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotwash.core.secret_env import validate_secret_env_name
from hotwash.incidents.models import Service


def validate_pagerduty_key_source(value: str) -> None:
    """A team's key source is stored in the database, so a variable must be
    one Hotwash reads for rows (HOTWASH_SECRET_..., core/secret_env.py); a
    path starts with "/" (its folder is checked when a page is sent)."""
    if value and not value.startswith("/"):
        validate_secret_env_name(value)


class Team(models.Model):
    """A group of people that owns services and keeps a backlog."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="teams"
    )
    services = models.ManyToManyField(
        Service, verbose_name=_("services"), blank=True, related_name="teams"
    )
    # How routing reaches the team as "owning-team" (docs/communications.md).
    email = models.EmailField(
        _("email address"),
        blank=True,
        help_text=_("The team's list address; without one, mail goes to each member."),
    )
    pagerduty_routing_key_env = models.CharField(
        _("PagerDuty routing key variable"),
        max_length=100,
        blank=True,
        validators=[validate_pagerduty_key_source],
        help_text=_(
            "A HOTWASH_SECRET_ environment variable of the worker, or the absolute path of a "
            "secret file, that holds the integration key of the team's PagerDuty service."
        ),
    )
    chat_channel = models.CharField(_("chat channel"), max_length=100, blank=True)
    # Read by the trackers app when an item is created (docs/trackers.md).
    push_new_action_items = models.BooleanField(
        _("push new action items to the tracker"),
        default=False,
        help_text=_(
            "Send every new action item of this team to the team's tracker at once, "
            "without anyone pressing Push."
        ),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
