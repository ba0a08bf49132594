"""POST handlers of the review panel: parse, call the service, redirect
with a message; on a DomainError show the page again with the error on the
form that caused it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hotwash.accounts.queries import responders
from hotwash.core.errors import Conflict, DomainError
from hotwash.core.forms import HotwashForm
from hotwash.postmortems import services
from hotwash.postmortems.forms import CommentForm, DecisionForm, ReviewersForm
from hotwash.postmortems.models import Postmortem, ReviewDecision, Status
from hotwash.postmortems.outlines import get_outline
from hotwash.postmortems.views.common import postmortem_action, to_postmortem
from hotwash.postmortems.views.page import render_postmortem

# Whole sentences per transition, said once it is done.
DONE_MESSAGES = {
    "request_review": gettext_lazy("Review requested: the reviewers can now read it and decide."),
    "withdraw": gettext_lazy("Withdrawn from review: it is a draft again."),
    "approve": gettext_lazy("Approved. It can now be published."),
    "publish": gettext_lazy("Published."),
    "reopen": gettext_lazy("Reopened as a draft."),
}


def _failed(
    request: HttpRequest,
    postmortem: Postmortem,
    name: str,
    form: HotwashForm,
    error: DomainError,
    **extra: object,
) -> HttpResponse:
    if error.status_code == 404:
        raise Http404(error.message)
    form.attach(error)
    return render_postmortem(
        request, postmortem, bound={name: form}, status=error.status_code, **extra
    )


def _language(request: HttpRequest) -> str:
    return str(request.POST.get("language") or "")


@postmortem_action
def change_reviewers(request: HttpRequest, postmortem: Postmortem) -> HttpResponse:
    form = ReviewersForm(request.POST, people=responders())
    form.is_valid()
    names = list(postmortem.reviewers.values_list("user__username", flat=True))
    removed = request.POST.get("remove")
    if removed:
        names = [name for name in names if name != removed]
    elif form.value("add"):
        names.append(str(form.value("add")))
    else:
        form.add_error("add", _("Choose a person."))
        return render_postmortem(request, postmortem, bound={"reviewers_form": form}, status=422)
    try:
        services.set_reviewers(postmortem, actor=request.user, usernames=names)
    except DomainError as error:
        if error.field == "reviewers" and error.status_code != 404:
            # The service names the whole list; the form has one person.
            form.add_error("add", error.message)
            return render_postmortem(
                request, postmortem, bound={"reviewers_form": form}, status=error.status_code
            )
        return _failed(request, postmortem, "reviewers_form", form, error)
    messages.success(request, _("Reviewers saved."))
    return to_postmortem(postmortem, "reviewers", language=_language(request))


@postmortem_action
def change_status(request: HttpRequest, postmortem: Postmortem) -> HttpResponse:
    action = str(request.POST.get("action") or "")
    form = HotwashForm(request.POST)
    form.is_valid()
    try:
        postmortem = services.transition(postmortem, actor=request.user, action=action)
    except Conflict as error:
        if action == "approve":
            # Say which: the problems as a list, not one long sentence.
            form.add_error(None, _("This postmortem cannot be approved yet."))
            return render_postmortem(
                request,
                postmortem,
                bound={"status_form": form},
                status=error.status_code,
                approval_problems=services.approval_problems(postmortem),
            )
        return _failed(request, postmortem, "status_form", form, error)
    except DomainError as error:
        return _failed(request, postmortem, "status_form", form, error)
    if action == "approve" and postmortem.status == Status.IN_REVIEW:
        standing = services.approvals(postmortem)
        messages.success(
            request,
            ngettext(
                "Your approval is recorded: %(count)d of the %(required)d required.",
                "Your approval is recorded: %(count)d of the %(required)d required.",
                standing.required,
            )
            % {"count": len(standing.approved), "required": standing.required},
        )
        return to_postmortem(postmortem, "review", language=_language(request))
    messages.success(request, str(DONE_MESSAGES.get(action, "")))
    return to_postmortem(postmortem, "review", language=_language(request))


@postmortem_action
def decide(request: HttpRequest, postmortem: Postmortem) -> HttpResponse:
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        services.review(
            postmortem,
            actor=request.user,
            decision=form.value("decision"),
            comment=form.value("comment") or "",
        )
    except DomainError as error:
        return _failed(request, postmortem, "decision_form", form, error)
    if form.value("decision") == ReviewDecision.APPROVED:
        messages.success(request, _("You approved it. Thank you for reviewing."))
    else:
        messages.success(request, _("You asked for changes. The authors will see your comment."))
    return to_postmortem(postmortem, "review", language=_language(request))


@postmortem_action
def change_checklist(request: HttpRequest, postmortem: Postmortem) -> HttpResponse:
    ticked = set(request.POST.getlist("items"))
    before = set(postmortem.checklist.values_list("key", flat=True))
    form = HotwashForm(request.POST)
    try:
        for key in services.CHECKLIST_KEYS:
            if (key in ticked) != (key in before):
                services.set_checklist_item(
                    postmortem, actor=request.user, key=key, checked=key in ticked
                )
    except DomainError as error:
        form.is_valid()
        return _failed(request, postmortem, "checklist_form", form, error)
    messages.success(request, _("Checklist saved."))
    return to_postmortem(postmortem, "checklist", language=_language(request))


@postmortem_action
def add_comment(request: HttpRequest, postmortem: Postmortem) -> HttpResponse:
    language = _language(request) or postmortem.original_language
    form = CommentForm(request.POST, outline=get_outline(postmortem.template), language=language)
    form.is_valid()
    try:
        services.add_comment(
            postmortem,
            actor=request.user,
            body=form.value("body") or "",
            section=form.value("section") or "",
        )
    except DomainError as error:
        return _failed(request, postmortem, "comment_form", form, error)
    messages.success(request, _("Comment added."))
    return to_postmortem(postmortem, "comments", language=_language(request))


@postmortem_action
def resolve_comment(request: HttpRequest, postmortem: Postmortem, comment_id: int) -> HttpResponse:
    comment = postmortem.comments.filter(pk=comment_id).first()
    if comment is None:
        raise Http404
    form = HotwashForm(request.POST)
    form.is_valid()
    try:
        services.resolve_comment(comment, actor=request.user)
    except DomainError as error:
        return _failed(request, postmortem, "comments_error", form, error)
    messages.success(request, _("Comment marked as resolved."))
    return to_postmortem(postmortem, "comments", language=_language(request))
