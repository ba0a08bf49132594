"""The header form: title, owner, due date, tags, authors, language and,
for a postmortem shared publicly, withdrawing it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

from hotwash.accounts.queries import responders
from hotwash.core.errors import DomainError
from hotwash.postmortems import services
from hotwash.postmortems.forms import HeaderForm
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.queries import can_be_shared, is_marked_public
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
        # As it takes effect: a flag left on a private incident's postmortem
        # is not offered, nor sent back as a change.
        "public": is_marked_public(postmortem),
    }


def _people(postmortem: Postmortem) -> list[tuple[str, str]]:
    people = responders()
    owner = postmortem.owner
    if owner is not None and owner.username not in {name for name, _label in people}:
        people.append((owner.username, owner.get_full_name() or owner.username))
    return people


def _form(postmortem: Postmortem, data: QueryDict | None = None) -> HeaderForm:
    return HeaderForm(
        data,
        initial=_initial(postmortem),
        people=_people(postmortem),
        withdrawable=is_marked_public(postmortem),
    )


@login_required
def edit_header(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = postmortem_or_404(request, pk)
    if not services.can_edit(request.user, postmortem):
        raise PermissionDenied
    if request.method != "POST":
        return _render(request, postmortem, _form(postmortem))
    form = _form(postmortem, request.POST)
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
        "can_share": can_be_shared(postmortem),
    }
    return render(request, "postmortems/header.html", context, status=status)
