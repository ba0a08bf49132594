"""Write-side functions for near misses and confidential concerns.

Each is one transaction that writes the report (or its comment), its audit
record and, when a near miss becomes an incident, the entry on that
incident's timeline. Every function takes a keyword-only `now`.

Anonymity is decided here and nowhere else: an anonymous report is written
without its author, and its audit record without an actor, so no row links
it to the person who filed it. The request log's access line leaves the
user out of the requests that file reports (`hotwash.core.request_id`).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.grants import change_permission
from hotwash.accounts.permissions import is_admin
from hotwash.core import text as core_text
from hotwash.core.audit import record_audit
from hotwash.core.errors import Conflict, PermissionDenied
from hotwash.incidents import services as incidents
from hotwash.incidents.models import TimelineKind
from hotwash.policies import incident_type
from hotwash.postmortems import services as postmortems
from hotwash.postmortems.models import Kind as PostmortemKind
from hotwash.reports.models import REVIEW_PERMISSION, Kind, Report, ReportComment, Status
from hotwash.reports.queries import can_review_reports

TEXT_MAX = 10_000
NOTE_MAX = 10_000
COMMENT_MAX = 10_000
# The start of a near miss's text that names what it becomes.
DEFAULT_TITLE_LENGTH = 120
# The incident type a near miss turned into an incident is declared with.
NEAR_MISS_TYPE = "near-miss"


# --- filing -------------------------------------------------------------------


def clean_kind(value: object) -> str:
    return core_text.clean_choice(
        value,
        Kind,
        field="kind",
        message=_("Unknown kind of report %(value)s: use %(choices)s."),
    )


def clean_report_text(value: object) -> str:
    return core_text.clean_text(
        value,
        field="text",
        limit=TEXT_MAX,
        missing=_("Say what happened, or what concerns you."),
        too_long=_("The report is %(length)d characters long; the limit is %(limit)d."),
    )


def file_report(
    *, author: User, kind: object, text: object, anonymous: bool, now: datetime | None = None
) -> Report:
    """File a near miss or a concern. Anonymous: neither the report nor its
    audit record names `author`, who is only required to be signed in."""
    if not author.is_authenticated or not author.is_active:
        raise PermissionDenied(_("Sign in to file a report."))
    kind_value = clean_kind(kind)
    body = clean_report_text(text)
    now = timezone.now() if now is None else now
    named = None if anonymous else author
    with transaction.atomic():
        report = Report.objects.create(kind=kind_value, text=body, author=named, created_at=now)
        record_audit(
            actor=named,
            action="report.filed",
            obj=report,
            changes={"kind": kind_value, "anonymous": named is None},
            now=now,
        )
    return report


# --- reviewing ----------------------------------------------------------------


def _require_reviewer(actor: User) -> None:
    if not can_review_reports(actor):
        raise PermissionDenied(_("Only people who review near misses and concerns can do this."))


def _locked_open(report: Report) -> Report:
    """The report re-read and locked, still open: two reviewers deciding at
    once cannot both close or convert it."""
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if not locked.is_open:
        raise Conflict(
            _("%(ref)s is already decided (%(status)s).")
            % {"ref": locked.ref, "status": locked.get_status_display()},
            field="status",
        )
    return locked


def add_comment(
    report: Report, *, actor: User, body: object, now: datetime | None = None
) -> ReportComment:
    _require_reviewer(actor)
    text = core_text.clean_text(
        body,
        field="body",
        limit=COMMENT_MAX,
        missing=_("Write a comment first."),
        too_long=_("The comment is %(length)d characters long; the limit is %(limit)d."),
    )
    now = timezone.now() if now is None else now
    with transaction.atomic():
        comment = ReportComment.objects.create(
            report=report, author=actor, body=text, created_at=now
        )
        record_audit(actor=actor, action="report.commented", obj=report, changes={}, now=now)
    return comment


def close_report(
    report: Report, *, actor: User, note: object, now: datetime | None = None
) -> Report:
    """Close an open report with a note the reporter (if named) reads."""
    _require_reviewer(actor)
    text = core_text.clean_text(
        note,
        field="note",
        limit=NOTE_MAX,
        missing=_("Say why the report is closed: the person who filed it reads this note."),
        too_long=_("The note is %(length)d characters long; the limit is %(limit)d."),
    )
    now = timezone.now() if now is None else now
    with transaction.atomic():
        locked = _locked_open(report)
        _decide(locked, actor=actor, status=Status.CLOSED, note=text, now=now)
        record_audit(actor=actor, action="report.closed", obj=locked, changes={}, now=now)
    return locked


def _decide(report: Report, *, actor: User, status: str, note: str, now: datetime) -> None:
    report.status = status
    report.note = note
    report.decided_by = actor
    report.decided_at = now
    report.save(
        update_fields=[
            "status",
            "note",
            "decided_by",
            "decided_at",
            "postmortem",
            "incident",
        ]
    )


def _require_near_miss(report: Report) -> None:
    if report.kind != Kind.NEAR_MISS:
        raise Conflict(
            _(
                "Only a near miss can become a retrospective or an incident; close a concern "
                "with a note instead."
            ),
            field="kind",
        )


def default_title(report: Report) -> str:
    """The reviewer's language's "Near miss: ..." and the start of the text."""
    start = core_text.one_line(report.text)
    if len(start) > DEFAULT_TITLE_LENGTH:
        start = start[: DEFAULT_TITLE_LENGTH - 1].rstrip() + "…"
    return _("Near miss: %(text)s") % {"text": start}


def _title(report: Report, title: object) -> object:
    return title if str(title or "").strip() else default_title(report)


def convert_to_retrospective(
    report: Report,
    *,
    actor: User,
    title: object = None,
    note: object = "",
    now: datetime | None = None,
) -> Report:
    """A near miss becomes a retrospective (of a success: it almost went
    wrong, and did not), owned by the reviewer, whose summary starts as the
    report's text. The retrospective never names the reporter."""
    _require_reviewer(actor)
    _require_near_miss(report)
    text = core_text.clean_text(note, field="note", limit=NOTE_MAX)
    now = timezone.now() if now is None else now
    with transaction.atomic():
        locked = _locked_open(report)
        retrospective = postmortems.create_retrospective(
            actor=actor, title=_title(locked, title), kind=PostmortemKind.SUCCESS, now=now
        )
        postmortems.save_section(
            retrospective,
            actor=actor,
            key="summary",
            language=retrospective.original_language,
            body=locked.text,
            base_version=0,
            now=now,
        )
        locked.postmortem = retrospective
        _decide(locked, actor=actor, status=Status.RETROSPECTIVE, note=text, now=now)
        record_audit(
            actor=actor,
            action="report.converted",
            obj=locked,
            changes={"into": "retrospective", "postmortem": retrospective.ref},
            now=now,
        )
    return locked


def near_miss_type() -> str | None:
    """The near-miss incident type, unless the organisation's policy file
    dropped it (then its default type)."""
    return NEAR_MISS_TYPE if incident_type(NEAR_MISS_TYPE) is not None else None


def convert_to_incident(
    report: Report,
    *,
    actor: User,
    title: object = None,
    severity: object = None,
    private: bool = False,
    note: object = "",
    now: datetime | None = None,
) -> Report:
    """A near miss becomes an incident, declared by the reviewer through the
    incidents' own service (so every rule of declaring applies), with the
    report's text as its summary and a timeline entry saying where it came
    from, of the near-miss type (its severity and postmortem template,
    unless the reviewer chose a severity). The incident never names the
    reporter."""
    _require_reviewer(actor)
    _require_near_miss(report)
    text = core_text.clean_text(note, field="note", limit=NOTE_MAX)
    now = timezone.now() if now is None else now
    with transaction.atomic():
        locked = _locked_open(report)
        incident = incidents.declare_incident(
            actor=actor,
            title=str(_title(locked, title)),
            severity=severity,
            summary=locked.text,
            private=private,
            type=near_miss_type(),
            now=now,
        )
        incidents.record_system_event(
            incident,
            kind=TimelineKind.REPORT,
            data={"report": locked.pk, "kind": locked.kind},
            actor=actor,
            body=f"From near-miss report {locked.ref}.",
            now=now,
        )
        locked.incident = incident
        _decide(locked, actor=actor, status=Status.INCIDENT, note=text, now=now)
        record_audit(
            actor=actor,
            action="report.converted",
            obj=locked,
            changes={"into": "incident", "incident": incident.ref},
            now=now,
        )
    return locked


# --- who reviews ----------------------------------------------------------------


def review_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="reports", codename=REVIEW_PERMISSION)


def _require_admin(actor: User | None) -> None:
    # None: a server command run by whoever runs the server (hotwash report-reviewers).
    if actor is not None and not is_admin(actor):
        raise PermissionDenied(_("Only admins can choose who reviews near misses and concerns."))


def grant_review(
    *, person: User | None = None, group: Group | None = None, actor: User | None
) -> None:
    """Let a person, or every member of a group, review reports."""
    _change_review(person, group, actor=actor, grant=True)


def revoke_review(
    *, person: User | None = None, group: Group | None = None, actor: User | None
) -> None:
    """The opposite of grant_review. An admin keeps reviewing: the role
    includes it."""
    _change_review(person, group, actor=actor, grant=False)


def _change_review(
    person: User | None, group: Group | None, *, actor: User | None, grant: bool
) -> None:
    _require_admin(actor)
    change_permission(
        review_permission(),
        person=person,
        group=group,
        actor=actor,
        grant=grant,
        audit_action="report_review.granted" if grant else "report_review.revoked",
    )
