"""The header form: title, owner, due date, tags, authors, language and
whether it may be shared publicly once published."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from hotwash.core.errors import DomainError
from hotwash.incidents.views.common import responders
from hotwash.postmortems import services
from hotwash.postmortems.forms import HeaderForm
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.views.common import postmortem_or_404, to_postmortem


def _initial(postmortem: Postmortem) -> dict[str, object]:
    return {
        "title": postmortem.title,
        "owner": postmortem.owner.username if postmortem.owner else "",
        "due_on": postmortem.due_on.isoformat() if postmortem.due_on else "",
        "tags": ", ".join(postmortem.tags or []),
        "authors": ", ".join(
            postmortem.authors.order_by("username").values_list("username", flat=True)
        ),
        "original_language": postmortem.original_language,
        "public": postmortem.public,
    }


def _people(postmortem: Postmortem) -> list[tuple[str, str]]:
    people = responders()
    owner = postmortem.owner
    if owner is not None and owner.username not in {name for name, _label in people}:
        people.append((owner.username, owner.get_full_name() or owner.username))
    return people


@login_required
def edit_header(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = postmortem_or_404(request, pk)
    if not services.can_edit(request.user, postmortem):
        raise PermissionDenied
    initial = _initial(postmortem)
    if request.method != "POST":
        form = HeaderForm(initial=initial, people=_people(postmortem))
        return _render(request, postmortem, form)
    form = HeaderForm(request.POST, initial=initial, people=_people(postmortem))
    form.is_valid()
    changes = form.changes()
    if not changes:
        messages.info(request, _("Nothing changed."))
        return to_postmortem(postmortem)
    try:
        services.update_postmortem(postmortem, actor=request.user, changes=changes)
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from None
        form.attach(error)
        return _render(request, postmortem, form, status=error.status_code)
    messages.success(request, _("Details saved."))
    return to_postmortem(postmortem)


def _render(
    request: HttpRequest, postmortem: Postmortem, form: HeaderForm, status: int = 200
) -> HttpResponse:
    context = {
        "nav": "postmortems",
        "postmortem": postmortem,
        "form": form,
        "error_form": form if form.errors else None,
    }
    return render(request, "postmortems/header.html", context, status=status)
