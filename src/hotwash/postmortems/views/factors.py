"""Tagging a postmortem's contributing factors (themes): the taxonomy's
factors as boxes with their descriptions, suggestions read from the
"Contributing factors" section, and free tags."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from hotwash.core.errors import DomainError
from hotwash.postmortems import services
from hotwash.postmortems.factors import (
    Factor,
    clean_factors,
    factors_of,
    set_factors,
    suggest_factors,
    taxonomy,
)
from hotwash.postmortems.forms import FactorsForm
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.views.common import postmortem_or_404, to_postmortem


@dataclass(frozen=True)
class Choice:
    """One box: a taxonomy factor, whether it is ticked, and why it is
    suggested (the words of the text), if it is."""

    key: str
    name: str
    description: str
    checked: bool
    suggested_by: tuple[str, ...] = ()


def _choices(postmortem: Postmortem, ticked: set[str]) -> list[Choice]:
    suggested = {suggestion.key: suggestion.words for suggestion in suggest_factors(postmortem)}
    keys = list(taxonomy())
    # A key the policy has dropped stays offered while the postmortem has it.
    keys += [
        factor.key for factor in factors_of(postmortem) if factor.key and factor.key not in keys
    ]
    return [
        Choice(
            key=key,
            name=Factor(key=key).name(),
            description=Factor(key=key).description(),
            checked=key in ticked,
            suggested_by=suggested.get(key, ()),
        )
        for key in keys
    ]


def _render(
    request: HttpRequest,
    postmortem: Postmortem,
    form: FactorsForm,
    ticked: set[str],
    status: int = 200,
) -> HttpResponse:
    context = {
        "nav": "postmortems",
        "postmortem": postmortem,
        "form": form,
        "error_form": form if form.errors else None,
        "choices": _choices(postmortem, ticked),
    }
    return render(request, "postmortems/factors.html", context, status=status)


def _attach(form: FactorsForm, error: DomainError) -> None:
    """The service names one field, "factors"; a mistake in the free tags
    is shown beside them rather than beside the boxes."""
    if error.field == "factors":
        other = [word for word in str(form.data.get("other") or "").split(",") if word.strip()]
        try:
            clean_factors(other)
        except DomainError:
            form.add_error("other", error.message)
            return
    form.attach(error)


@login_required
def edit_factors(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = postmortem_or_404(request, pk)
    if not services.can_edit(request.user, postmortem):
        raise PermissionDenied
    current = factors_of(postmortem)
    keys = [choice.key for choice in _choices(postmortem, set())]
    if request.method != "POST":
        initial = {"other": ", ".join(factor.tag for factor in current if factor.tag)}
        form = FactorsForm(initial=initial, keys=keys)
        return _render(request, postmortem, form, {f.key for f in current if f.key})
    form = FactorsForm(request.POST, keys=keys)
    form.is_valid()
    try:
        set_factors(postmortem, actor=request.user, factors=form.words())
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from None
        _attach(form, error)
        ticked = set(request.POST.getlist("factors"))
        return _render(request, postmortem, form, ticked, status=error.status_code)
    messages.success(request, _("Contributing factors saved."))
    return to_postmortem(postmortem, "section-contributing_factors")
