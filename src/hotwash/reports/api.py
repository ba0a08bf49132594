"""API routes for near misses and confidential concerns, mounted under
/api/v1/.

Anyone signed in files a report; reviewers list, read, discuss and decide;
the person who filed one under their name reads it and its outcome. The
access line of `/api/v1/reports` never names the caller, whatever the
method (`USER_KEPT_OUT`, applied by hotwash.api.urls)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from hotwash.accounts.api_auth import caller
from hotwash.core.api.errors import ERRORS
from hotwash.core.api.paging import present_page
from hotwash.reports import services
from hotwash.reports.present import present_comment, present_report
from hotwash.reports.queries import (
    can_review_reports,
    clean_status,
    get_report,
    own_reports,
    reports_for_review,
)
from hotwash.reports.schemas import (
    CloseIn,
    CommentIn,
    CommentOut,
    IncidentIn,
    ReportCreate,
    ReportListQuery,
    ReportOut,
    ReportPage,
    ReportRef,
    RetrospectiveIn,
)

router = Router(tags=["Near misses and concerns"])

# The URL names whose access line leaves out who called (filing a report).
FILING_URL_NAME = "reports"
USER_KEPT_OUT = (FILING_URL_NAME,)


def _present(report: Any, request: HttpRequest) -> dict[str, Any]:
    return present_report(report, request, for_reviewer=can_review_reports(caller(request)))


@router.post(
    "/reports",
    response={201: ReportOut, **ERRORS},
    summary="File a near miss or a concern",
    operation_id="file_report",
    url_name=FILING_URL_NAME,
)
def file(request: HttpRequest, payload: ReportCreate) -> Status[dict[str, Any]]:
    """Anyone signed in. With `anonymous: true` nothing links the report to
    you: not the report, not the audit trail, not the request log (which
    never names the caller of this endpoint). You then cannot open it
    again: the answer's `url` is null. Named, only reviewers and you can
    read it, and you follow its outcome (`GET /reports/mine`)."""
    user = caller(request)
    report = services.file_report(
        author=user, kind=payload.kind, text=payload.text, anonymous=payload.anonymous
    )
    return Status(
        201,
        present_report(report, request, for_reviewer=False, readable=not report.is_anonymous),
    )


@router.get(
    "/reports",
    response={200: ReportPage, **ERRORS},
    summary="List reports (reviewers)",
    operation_id="list_reports",
    url_name=FILING_URL_NAME,
)
def list_reports(request: HttpRequest, query: Query[ReportListQuery]) -> dict[str, Any]:
    """Every report, newest first, for the people who review them (admins,
    and those granted the review permission); 403 for anyone else."""
    user = caller(request)
    reports = reports_for_review(
        user,
        kind=services.clean_kind(query.kind) if query.kind else None,
        status=clean_status(query.status) if query.status else None,
    ).prefetch_related("comments__author")
    return present_page(
        reports,
        request,
        page=query.page,
        per_page=query.per_page,
        render=lambda rows: [present_report(r, request, for_reviewer=True) for r in rows],
    )


@router.get(
    "/reports/mine",
    response={200: ReportPage, **ERRORS},
    summary="List the reports you filed",
    operation_id="list_my_reports",
)
def list_mine(request: HttpRequest, query: Query[ReportListQuery]) -> dict[str, Any]:
    """The reports you filed under your name, newest first, with their
    status and outcome. Anonymous ones are not among them: nothing says
    they are yours."""
    reports = own_reports(caller(request))
    return present_page(
        reports,
        request,
        page=query.page,
        per_page=query.per_page,
        render=lambda rows: [present_report(r, request, for_reviewer=False) for r in rows],
    )


@router.get(
    "/reports/{ref}",
    response={200: ReportOut, **ERRORS},
    summary="Get a report",
    operation_id="get_report",
)
def read(request: HttpRequest, ref: ReportRef) -> dict[str, Any]:
    """One report: for reviewers, or for the person who filed it under
    their name (without the reviewers' discussion). Anyone else gets 404."""
    return _present(get_report(caller(request), ref), request)


@router.post(
    "/reports/{ref}/comments",
    response={201: CommentOut, **ERRORS},
    summary="Comment on a report (reviewers)",
    operation_id="add_report_comment",
)
def comment(request: HttpRequest, ref: ReportRef, payload: CommentIn) -> Status[dict[str, Any]]:
    """A comment for the other reviewers; the person who filed the report
    does not read the discussion."""
    user = caller(request)
    report = get_report(user, ref)
    return Status(201, present_comment(services.add_comment(report, actor=user, body=payload.body)))


@router.post(
    "/reports/{ref}/close",
    response={200: ReportOut, **ERRORS},
    summary="Close a report with a note (reviewers)",
    operation_id="close_report",
)
def close(request: HttpRequest, ref: ReportRef, payload: CloseIn) -> dict[str, Any]:
    """Close an open report; the note is what the person who filed it (if
    named) reads as the outcome. 409 if it is already decided."""
    user = caller(request)
    report = services.close_report(get_report(user, ref), actor=user, note=payload.note)
    return _present(report, request)


@router.post(
    "/reports/{ref}/retrospective",
    response={201: ReportOut, **ERRORS},
    summary="Turn a near miss into a retrospective (reviewers)",
    operation_id="convert_report_to_retrospective",
)
def to_retrospective(
    request: HttpRequest, ref: ReportRef, payload: RetrospectiveIn
) -> Status[dict[str, Any]]:
    """A retrospective (of a success: it almost went wrong, and did not),
    owned by you, its summary starting as the report's text; the answer's
    `postmortem` names it. Reviewers who are responders or admins; near
    misses only (409 for a concern or a decided report)."""
    user = caller(request)
    report = services.convert_to_retrospective(
        get_report(user, ref), actor=user, title=payload.title, note=payload.note
    )
    return Status(201, _present(report, request))


@router.post(
    "/reports/{ref}/incident",
    response={201: ReportOut, **ERRORS},
    summary="Turn a near miss into an incident (reviewers)",
    operation_id="convert_report_to_incident",
)
def to_incident(
    request: HttpRequest, ref: ReportRef, payload: IncidentIn
) -> Status[dict[str, Any]]:
    """An incident declared by you, its summary the report's text, its
    timeline saying it came from this report; the answer's `incident` names
    it. Reviewers who are responders or admins; near misses only."""
    user = caller(request)
    report = services.convert_to_incident(
        get_report(user, ref),
        actor=user,
        title=payload.title,
        severity=payload.severity,
        private=payload.private,
        note=payload.note,
    )
    return Status(201, _present(report, request))
