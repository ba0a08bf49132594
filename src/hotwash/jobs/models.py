"""The state of each periodic job, shared by every worker.

One row per registered job. A worker runs a job only after moving the row's
`next_run_at` forward with a conditional UPDATE (see `hotwash.jobs.periodic`),
so whichever worker's UPDATE matches first owns the run and every other
worker's matches nothing.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    NEVER = "never", _("Never run")
    RUNNING = "running", _("Running")
    OK = "ok", _("Succeeded")
    FAILED = "failed", _("Failed")


class PeriodicJobState(models.Model):
    name = models.CharField(_("job"), max_length=100, unique=True)
    interval_seconds = models.PositiveIntegerField(_("interval (seconds)"))
    next_run_at = models.DateTimeField(_("next run at"))
    last_started_at = models.DateTimeField(_("last started at"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished at"), null=True, blank=True)
    last_status = models.CharField(
        _("last status"), max_length=8, choices=RunStatus.choices, default=RunStatus.NEVER
    )
    last_error = models.TextField(_("last error"), blank=True)
    last_worker = models.CharField(_("last worker"), max_length=64, blank=True)
    run_count = models.PositiveIntegerField(_("runs"), default=0)
    failure_count = models.PositiveIntegerField(_("failures"), default=0)

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """One row per worker, rewritten every few seconds while its loop turns
    (`hotwash.jobs.heartbeat`): how readiness and the metrics know that
    queued tasks and periodic jobs are being run."""

    worker_id = models.CharField(_("worker"), max_length=64, unique=True)
    hostname = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    last_seen_at = models.DateTimeField(_("last seen at"), db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return self.worker_id
