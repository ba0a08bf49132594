"""Pages for near misses and concerns: filing one (the anonymity explained
before sending), my reports, and the reviewers' list and detail with their
POST handlers (comment, close, turn into a retrospective or an incident).

The filing page keeps the user out of its access line, whatever the
method (`keeps_user_out_of_access_line`). An anonymous filing answers with
its own page, not a redirect and not a flash message: a message would be
kept in the person's session, and the next request's access line would
name them a moment after the report was written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotwash.core.errors import DomainError, NotFound
from hotwash.core.forms import HotwashForm
from hotwash.core.request_id import keeps_user_out_of_access_line
from hotwash.reports import services
from hotwash.reports.forms import (
    CloseForm,
    CommentForm,
    FileForm,
    FilterForm,
    IncidentForm,
    RetrospectiveForm,
)
from hotwash.reports.models import Kind, Report
from hotwash.reports.queries import (
    can_review_reports,
    get_report,
    last_months,
    own_reports,
    reports_for_review,
)

PER_PAGE = 50


def _signed_in(request: HttpRequest) -> User:
    """The signed-in person (the views are behind login_required)."""
    assert isinstance(request.user, User)
    return request.user


def _report_or_404(request: HttpRequest, pk: int) -> Report:
    try:
        return get_report(request.user, pk)
    except NotFound as error:
        raise Http404(error.message) from None


def _to_report(report: Report) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("reports:detail", args=[report.pk]))


# --- filing -------------------------------------------------------------------


@keeps_user_out_of_access_line
@login_required
def file_report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        initial = {
            "kind": Kind.CONCERN if request.GET.get("kind") == Kind.CONCERN else Kind.NEAR_MISS
        }
        return _render_file(request, FileForm(initial=initial))
    form = FileForm(request.POST)
    if not form.is_valid():
        return _render_file(request, form, status=422)
    try:
        report = services.file_report(
            author=_signed_in(request),
            kind=form.cleaned_data["kind"],
            text=form.cleaned_data["text"],
            anonymous=form.anonymous,
        )
    except DomainError as error:
        form.attach(error)
        return _render_file(request, form, status=error.status_code)
    if report.is_anonymous:
        return render(
            request, "reports/filed_anonymously.html", {"nav": "reports", "report": report}
        )
    messages.success(
        request,
        _("Report %(ref)s filed. Only the reviewers and you can read it.") % {"ref": report.ref},
    )
    return _to_report(report)


def _render_file(request: HttpRequest, form: FileForm, *, status: int = 200) -> HttpResponse:
    context = {
        "nav": "reports",
        "form": form,
        "error_form": form if form.errors else None,
        "can_review": can_review_reports(request.user),
    }
    return render(request, "reports/file.html", context, status=status)


# --- my reports -----------------------------------------------------------------


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    page = Paginator(own_reports(_signed_in(request)), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "nav": "reports",
        "page": page,
        "reports": list(page.object_list),
        "can_review": can_review_reports(request.user),
    }
    return render(request, "reports/mine.html", context)


# --- reviewers -----------------------------------------------------------------------


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    if not can_review_reports(request.user):
        raise PermissionDenied
    form = FilterForm(request.GET)
    kind = status = None
    if form.is_valid():
        kind = form.cleaned_data["kind"] or None
        status = form.cleaned_data["status"] or None
    reports = reports_for_review(request.user, kind=kind, status=status)
    page = Paginator(reports, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "nav": "reports",
        "form": form,
        "error_form": form if form.errors else None,
        "page": page,
        "reports": list(page.object_list),
        "monthly": _monthly_rows(),
    }
    return render(request, "reports/list.html", context, status=400 if form.errors else 200)


def _monthly_rows() -> list[dict[str, Any]]:
    """The last twelve months' counts, newest first, each month named."""
    return [
        {
            "month": date_format(row.month, "F Y"),
            "near_misses": row.near_misses,
            "concerns": row.concerns,
        }
        for row in last_months(timezone.localdate())
    ]


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _report_or_404(request, pk))


def _render_detail(
    request: HttpRequest,
    report: Report,
    *,
    bound: dict[str, HotwashForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    reviewer = can_review_reports(request.user)
    forms: dict[str, HotwashForm] = {
        "comment_form": CommentForm(),
        "close_form": CloseForm(),
        "retrospective_form": RetrospectiveForm(initial={"title": services.default_title(report)}),
        "incident_form": IncidentForm(initial={"title": services.default_title(report)}),
        **(bound or {}),
    }
    error_form = next((form for form in (bound or {}).values() if form.errors), None)
    context: dict[str, Any] = {
        "nav": "reports",
        "report": report,
        "reviewer": reviewer,
        "comments": list(report.comments.select_related("author")) if reviewer else [],
        "error_form": error_form,
        **forms,
    }
    return render(request, "reports/detail.html", context, status=status)


ReviewStep = Callable[[HttpRequest, Report, Any], Report | None]


def _review_handler(
    form_class: type[HotwashForm], name: str, step: ReviewStep
) -> Callable[..., HttpResponse]:
    """A reviewer's POST handler: parse `form_class`, run `step` (a
    service), and come back to the report; a refusal shows the form again
    with the message, with the service's status."""

    @login_required
    @require_POST
    def handler(request: HttpRequest, pk: int) -> HttpResponse:
        report = _report_or_404(request, pk)
        if not can_review_reports(request.user):
            raise PermissionDenied
        form = form_class(request.POST)
        form.is_valid()
        try:
            step(request, report, form)
        except DomainError as error:
            form.attach(error)
            return _render_detail(request, report, bound={name: form}, status=error.status_code)
        return _to_report(report)

    return handler


def _comment(request: HttpRequest, report: Report, form: CommentForm) -> None:
    services.add_comment(report, actor=_signed_in(request), body=form.value("body"))


def _close(request: HttpRequest, report: Report, form: CloseForm) -> None:
    services.close_report(report, actor=_signed_in(request), note=form.value("note"))
    messages.success(request, _("Report %(ref)s closed.") % {"ref": report.ref})


def _retrospective(request: HttpRequest, report: Report, form: RetrospectiveForm) -> None:
    decided = services.convert_to_retrospective(
        report,
        actor=_signed_in(request),
        title=form.value("title"),
        note=form.value("note"),
    )
    assert decided.postmortem is not None
    messages.success(
        request,
        _("Report %(ref)s became retrospective %(postmortem)s.")
        % {"ref": report.ref, "postmortem": decided.postmortem.ref},
    )


def _incident(request: HttpRequest, report: Report, form: IncidentForm) -> None:
    decided = services.convert_to_incident(
        report,
        actor=_signed_in(request),
        title=form.value("title"),
        severity=form.value("severity") or None,
        private=bool(form.value("private")),
        note=form.value("note"),
    )
    assert decided.incident is not None
    messages.success(
        request,
        _("Report %(ref)s became incident %(incident)s.")
        % {"ref": report.ref, "incident": decided.incident.ref},
    )


add_comment = _review_handler(CommentForm, "comment_form", _comment)
close_report = _review_handler(CloseForm, "close_form", _close)
to_retrospective = _review_handler(RetrospectiveForm, "retrospective_form", _retrospective)
to_incident = _review_handler(IncidentForm, "incident_form", _incident)
