"""The search index: one row per searchable thing (an incident with its
timeline, a postmortem with every section in both languages, an action
item, an alert group), written by hotwash.search.index in the transaction of
the change it follows.

The words themselves live beside the row in each database's own way
(hotwash.search.engine): on PostgreSQL two stored `tsvector` columns
(`vec_en`, `vec_fr`) with GIN indexes, added by the migration; on SQLite
an FTS5 table per language (`search_fts_en`, `search_fts_fr`) whose rowid
is this row's id.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    POSTMORTEM = "postmortem", _("Postmortem")
    ACTION_ITEM = "action_item", _("Action item")
    ALERT_GROUP = "alert_group", _("Alert group")


class Document(models.Model):
    """What search finds and shows for one thing. `incident_id` and
    `private` decide who may find it (the incident's visibility: its
    participants and the admins for a private one, everyone signed in
    otherwise), copied here so the search filters before it ranks."""

    kind = models.CharField(max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField()
    # The incident it belongs to (itself for an incident); none for a
    # retrospective, an item of no incident or an alert group that opened none.
    incident_id = models.BigIntegerField(null=True, blank=True)
    private = models.BooleanField(default=False)
    # The incident's type key ("outage", "privacy-breach"), "" without one.
    incident_type = models.CharField(max_length=40, blank=True, default="")
    # When it happened (declared, created, first fired): the since and
    # until filters read this.
    occurred_at = models.DateTimeField()
    ref = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    # Last, so a query that does not read it never loads it.
    body = models.TextField(blank=True)

    class Meta:
        db_table = "search_document"
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique"),
        ]
        indexes = [
            models.Index(fields=["incident_id"], name="search_document_incident_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"
