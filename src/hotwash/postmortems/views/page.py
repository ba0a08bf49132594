"""The postmortem page (read view with the review panel) and the public
pages for published postmortems shared outside the organisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from csp import constants as csp_constants
from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotwash.accounts.permissions import is_admin
from hotwash.accounts.queries import responders
from hotwash.core.forms import HotwashForm
from hotwash.incidents.display import format_duration
from hotwash.postmortems import services
from hotwash.postmortems.factors import factors_of
from hotwash.postmortems.facts import IncidentFacts, incident_facts
from hotwash.postmortems.forms import CommentForm, DecisionForm, ReviewersForm
from hotwash.postmortems.hooks import hooks
from hotwash.postmortems.models import Language, Postmortem, Reviewer, Status
from hotwash.postmortems.outlines import get_outline
from hotwash.postmortems.queries import public_postmortems
from hotwash.postmortems.views.common import (
    SectionView,
    chosen_language,
    language_versions,
    other_language,
    postmortem_or_404,
    section_views,
    texts_in,
)

ACTION_ITEMS_TEMPLATE = "actions/_items_for.html"
# Whole phrases per transition, so each language can say them its own way.
TRANSITION_LABELS: dict[str, Promise] = {
    "request_review": _("Ask for a review"),
    "withdraw": _("Withdraw from review"),
    "approve": _("Approve the postmortem"),
    "publish": _("Publish"),
    "reopen": _("Reopen as a draft"),
}
# Steps back: offered, but never the primary button. In review the primary
# action is the reviewer's (approve), not the author's way out.
BACKWARD_TRANSITIONS = frozenset({"withdraw", "reopen"})


@dataclass(frozen=True)
class ShownDuration:
    label: str
    value: str  # "" when a time it needs is missing


@dataclass(frozen=True)
class TransitionButton:
    name: str
    label: str
    primary: bool


@dataclass(frozen=True)
class ChecklistRow:
    key: str
    label: str
    checked: bool
    checked_by: Any


@login_required
def postmortem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_postmortem(request, postmortem_or_404(request, pk))


def render_postmortem(
    request: HttpRequest,
    postmortem: Postmortem,
    *,
    bound: dict[str, HotwashForm] | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    """The page, with `bound` replacing the blank forms of the same name."""
    context = page_context(request, postmortem, bound or {})
    context.update(extra)
    return render(request, "postmortems/detail.html", context, status=status)


def shown_durations(facts: IncidentFacts) -> list[ShownDuration]:
    return [
        ShownDuration(d.label, format_duration(d.value) if d.value is not None else "")
        for d in facts.durations
    ]


def action_items_template() -> str:
    """The action items app's include, once it exists."""
    try:
        get_template(ACTION_ITEMS_TEMPLATE)
    except TemplateDoesNotExist:
        return ""
    return ACTION_ITEMS_TEMPLATE


def page_context(
    request: HttpRequest, postmortem: Postmortem, bound: dict[str, HotwashForm]
) -> dict[str, Any]:
    user = request.user
    counts = services.completeness(postmortem)
    language = chosen_language(request, postmortem, {k for k, v in counts.items() if v[0]})
    comments = list(postmortem.comments.select_related("author"))
    sections = section_views(postmortem, language, comments)
    others = texts_in(postmortem, other_language(language))
    for section in sections:
        section.other_written = section.key in others
    full_timeline = request.GET.get("timeline") == "full"
    facts = (
        incident_facts(postmortem.incident, full_timeline=full_timeline)
        if postmortem.incident
        else None
    )
    can_edit = services.can_edit(user, postmortem)
    reviewers = list(postmortem.reviewers.select_related("user").order_by("added_at", "id"))
    my_review = next((r for r in reviewers if r.user_id == user.pk), None)
    context: dict[str, Any] = {
        "nav": "postmortems",
        "postmortem": postmortem,
        "incident": postmortem.incident,
        "services_list": _services(postmortem, facts),
        "facts": facts,
        "durations": shown_durations(facts) if facts else [],
        "full_timeline": full_timeline,
        "language": language,
        "versions": language_versions(postmortem, language),
        "outline": get_outline(postmortem.template),
        "sections": sections,
        "other_language": other_language(language),
        "general_comments": [c for c in comments if not c.section_key],
        "open_comments": sum(1 for c in comments if c.resolved_at is None),
        "overdue": postmortem.is_overdue(timezone.localdate()),
        "can_edit": can_edit,
        "editable": can_edit and postmortem.is_open,
        "factors": factors_of(postmortem),
        "reviewers": reviewers,
        "my_review": my_review,
        "actions": _actions(user, postmortem, can_edit, my_review),
        "checklist": _checklist(postmortem),
        "action_items_template": action_items_template(),
        "comment_form": CommentForm(
            outline=get_outline(postmortem.template),
            language=language,
            initial={"section": request.GET.get("comment", "")},
        ),
    }
    if postmortem.status in (Status.IN_REVIEW, Status.APPROVED):
        context["approvals"] = services.approvals(postmortem)
    if any(button.name == "approve" for button in context["actions"]):
        context["still_needed"] = services.approval_problems(postmortem)
    if can_edit or my_review is not None:
        titles = {section.key: section.title for section in sections}
        context["findings"] = [
            {**found, "title": titles.get(found["section"], found["section"])}
            for found in services.lint_postmortem(postmortem)
        ]
    if can_edit:
        context["reviewers_form"] = ReviewersForm(people=responders())
    if my_review is not None and postmortem.status == Status.IN_REVIEW:
        context["decision_form"] = DecisionForm()
    context.update(bound)
    context["error_form"] = next((form for form in bound.values() if form.errors), None)
    return context


def _services(postmortem: Postmortem, facts: IncidentFacts | None) -> list[str]:
    if facts is not None:
        return facts.services
    return sorted(postmortem.services.values_list("name", flat=True))


def _actions(
    user: Any, postmortem: Postmortem, can_edit: bool, my_review: Reviewer | None
) -> list[TransitionButton]:
    """The transitions this person may try from the current status: steps
    forward first (the first of them primary), steps back after them."""
    if not can_edit:
        return []
    allowed = []
    for name, (sources, _target) in services.TRANSITIONS.items():
        if postmortem.status not in sources:
            continue
        if name == "approve" and my_review is None and not is_admin(user):
            continue
        allowed.append(name)
    allowed.sort(key=lambda name: name in BACKWARD_TRANSITIONS)
    return [
        TransitionButton(
            name=name,
            label=str(TRANSITION_LABELS[name]),
            primary=index == 0 and name not in BACKWARD_TRANSITIONS,
        )
        for index, name in enumerate(allowed)
    ]


def _checklist(postmortem: Postmortem) -> list[ChecklistRow]:
    ticked = {item.key: item for item in postmortem.checklist.select_related("checked_by")}
    return [
        ChecklistRow(
            key=key,
            label=str(label),
            checked=key in ticked,
            checked_by=ticked[key].checked_by if key in ticked else None,
        )
        for key, label in services.CHECKLIST
    ]


# --- public pages -------------------------------------------------------------
# They show the public version its author confirmed (hotwash.sharing, through
# `hooks.public_versions`), in the reader's language, never the live
# original; a postmortem shared without one is not shown. No image from
# elsewhere loads on them (Markdown images are links, and the CSP says so).

PUBLIC_CSP = {"img-src": [csp_constants.SELF]}


def _public() -> Any:
    return public_postmortems().select_related("incident")


def _reader_language(request: HttpRequest) -> str:
    language = (getattr(request, "LANGUAGE_CODE", "") or "en")[:2]
    return language if language in Language.values else "en"


@csp_replace(PUBLIC_CSP)
def public_index(request: HttpRequest) -> HttpResponse:
    """Published postmortems shared publicly; no sign-in needed."""
    postmortems = list(_public().order_by("-published_at", "-id")[:200])
    texts = hooks.public_versions(postmortems, _reader_language(request))
    context = {
        "entries": [(p, texts[p.pk]) for p in postmortems if p.pk in texts],
        "nav": "public",
        # Signing in leads to the staff list, with drafts and comments.
        "sign_in_next": reverse("postmortems:list"),
    }
    return render(request, "postmortems/public_index.html", context)


# django-csp types a view as taking the request alone.
@csp_replace(PUBLIC_CSP)  # type: ignore[arg-type]
def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmed public version and the durations, never the people: no
    names, usernames, comments, reviewers or timeline entries (which are
    written by and about responders)."""
    postmortem = _public().filter(pk=pk).first()
    language = _reader_language(request)
    public = hooks.public_versions([postmortem], language).get(pk) if postmortem else None
    if postmortem is None or public is None:
        raise Http404
    facts = incident_facts(postmortem.incident) if postmortem.incident else None
    sections = [
        SectionView(
            key=section.key,
            title=section.title.get(language),
            level=section.level,
            help="",
            body=public.sections[section.key],
            version=0,
            generated=None,
            five_whys=False,
        )
        for section in get_outline(postmortem.template).sections
        if public.sections.get(section.key, "").strip()
    ]
    context = {
        "postmortem": postmortem,
        "title": public.title,
        "incident": postmortem.incident,
        "services_list": _public_services(postmortem),
        "durations": shown_durations(facts) if facts else [],
        "facts": facts,
        "language": language,
        "sections": sections,
        "nav": "public",
        # Signing in leads to the full postmortem, for those who may read it.
        "sign_in_next": reverse("postmortems:detail", args=[postmortem.pk]),
    }
    return render(request, "postmortems/public_detail.html", context)


def _public_services(postmortem: Postmortem) -> list[str]:
    """The services as the status page names them, and only those it shows:
    an internal service's name is not for the public."""
    services_of = (
        postmortem.incident.services if postmortem.incident is not None else postmortem.services
    )
    return sorted(
        service.public_name or service.name for service in services_of.filter(public=True)
    )


__all__ = ["postmortem_detail", "public_detail", "public_index", "render_postmortem"]
