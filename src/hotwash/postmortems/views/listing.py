"""The list of postmortems and retrospectives, and starting new ones."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import can_respond
from hotwash.accounts.queries import responders
from hotwash.core.errors import DomainError, NotFound
from hotwash.incidents.models import Incident
from hotwash.incidents.queries import get_incident
from hotwash.postmortems import services
from hotwash.postmortems.forms import FilterForm, RetrospectiveForm, StartForm
from hotwash.postmortems.models import Kind, Postmortem, Section
from hotwash.postmortems.outlines import get_outline
from hotwash.postmortems.queries import PostmortemFilters, readable_postmortems

PER_PAGE = 50


@dataclass
class Row:
    postmortem: Postmortem
    overdue: bool
    # language code -> (written, to write)
    completeness: dict[str, tuple[int, int]]

    @property
    def en(self) -> tuple[int, int]:
        return self.completeness.get("en", (0, 0))

    @property
    def fr(self) -> tuple[int, int]:
        return self.completeness.get("fr", (0, 0))


@login_required
def postmortem_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET, people=responders())
    form.is_valid()
    filters = PostmortemFilters.from_page(request.GET)
    postmortems = filters.apply(readable_postmortems(request.user), request.user)
    page = Paginator(postmortems, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "nav": "postmortems",
        "form": form,
        "page": page,
        "rows": _rows(list(page.object_list)),
        "can_create": can_respond(request.user),
        "retro_form": RetrospectiveForm(
            people=responders(), initial={"language": _language(request)}
        ),
    }
    return render(request, "postmortems/list.html", context)


def _rows(postmortems: list[Postmortem]) -> list[Row]:
    """Completeness for a whole page in one query (the service counts one
    postmortem at a time)."""
    filled: dict[int, dict[str, set[str]]] = {}
    sections = Section.objects.filter(postmortem__in=postmortems).exclude(body="")
    for postmortem_id, key, language, body in sections.values_list(
        "postmortem_id", "key", "language", "body"
    ):
        if body.strip():
            filled.setdefault(postmortem_id, {}).setdefault(language, set()).add(key)
    today = timezone.localdate()
    rows = []
    for postmortem in postmortems:
        outline = get_outline(postmortem.template)
        writable = outline.to_write
        written = filled.get(postmortem.pk, {})
        rows.append(
            Row(
                postmortem=postmortem,
                overdue=postmortem.is_overdue(today),
                completeness={
                    language: (len(written.get(language, set()) & writable), len(writable))
                    for language in ("en", "fr")
                },
            )
        )
    return rows


@login_required
def new_postmortem(request: HttpRequest) -> HttpResponse:
    """GET ?incident=INC-5: the form to start that incident's postmortem;
    POST: start it, or (without an incident) create a retrospective."""
    if not can_respond(request.user):
        raise PermissionDenied
    ref = request.POST.get("incident") or request.GET.get("incident") or ""
    if ref:
        return _start_for_incident(request, _incident(request, ref))
    if request.method != "POST":
        blank = RetrospectiveForm(people=responders(), initial={"language": _language(request)})
        return _render_new(request, retro_form=blank)
    form = RetrospectiveForm(request.POST, people=responders())
    form.is_valid()
    try:
        postmortem = services.create_retrospective(actor=request.user, **form.arguments())
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from None
        form.attach(error)
        return _render_new(request, status=error.status_code, retro_form=form)
    messages.success(request, _("Retrospective created. Start writing."))
    return redirect("postmortems:edit", postmortem.pk)


def _incident(request: HttpRequest, ref: str) -> Incident:
    try:
        return get_incident(request.user, ref)
    except NotFound as error:
        raise Http404(error.message) from None


def _start_for_incident(request: HttpRequest, incident: Incident) -> HttpResponse:
    existing = Postmortem.objects.filter(incident=incident).first()
    if existing is not None:
        messages.info(request, _("%(ref)s already has a postmortem.") % {"ref": incident.ref})
        return redirect("postmortems:detail", existing.pk)
    if request.method != "POST":
        form = StartForm(initial={"incident": incident.ref, "language": _language(request)})
        return _render_new(request, incident=incident, start_form=form)
    form = StartForm(request.POST)
    form.is_valid()
    try:
        postmortem = services.create_retrospective(
            actor=request.user,
            title=incident.title,
            kind=Kind.INCIDENT,
            incident=incident,
            template=form.value("template") or None,
            language=form.value("language") or None,
        )
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from None
        form.attach(error)
        return _render_new(request, incident=incident, start_form=form, status=error.status_code)
    messages.success(request, _("Postmortem started. Start writing."))
    return redirect("postmortems:edit", postmortem.pk)


def _language(request: HttpRequest) -> str:
    return (getattr(request, "LANGUAGE_CODE", "") or "en")[:2]


def _render_new(
    request: HttpRequest,
    *,
    status: int = 200,
    incident: Incident | None = None,
    start_form: StartForm | None = None,
    retro_form: RetrospectiveForm | None = None,
) -> HttpResponse:
    """The start form of an incident's postmortem, or the retrospective form."""
    form = start_form if incident is not None else retro_form
    context = {
        "nav": "postmortems",
        "incident": incident,
        "start_form": start_form,
        "retro_form": retro_form,
        "error_form": form if form is not None and form.errors else None,
    }
    return render(request, "postmortems/new.html", context, status=status)
