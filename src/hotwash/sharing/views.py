"""The review and confirm page of a postmortem's public version: the
original and the public version side by side, each replacement highlighted,
with the forms that prepare it again, add or undo a replacement, give the
title in the other language and confirm it. For those who may change the
postmortem; a reader who may not read it gets 404, as everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotwash.core.errors import Conflict, DomainError
from hotwash.core.forms import HotwashForm
from hotwash.policies import sharing_policy
from hotwash.postmortems.models import Language, Postmortem
from hotwash.postmortems.outlines import get_outline
from hotwash.postmortems.queries import can_be_shared
from hotwash.postmortems.services import can_edit
from hotwash.postmortems.views.common import postmortem_or_404
from hotwash.sharing import queries, redaction, services
from hotwash.sharing.forms import AddForm, ConfirmForm, TitleForm, UndoForm
from hotwash.sharing.models import TITLE, PublicText, PublicVersion


@dataclass(frozen=True)
class TextRow:
    """One text (the title or a section) in one language, both sides."""

    label: str
    language: str
    original: list[redaction.Segment]
    public: list[redaction.Segment]
    replaced: int


@dataclass(frozen=True)
class ReplacedText:
    original: str
    kind: str
    placeholder: str
    count: int


def _editable(request: HttpRequest, pk: int) -> Postmortem:
    postmortem = postmortem_or_404(request, pk)
    if not can_edit(request.user, postmortem):
        raise Forbidden
    return postmortem


def _to_review(postmortem: Postmortem) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("sharing:review", args=[postmortem.pk]))


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, _editable(request, pk))


def _render(
    request: HttpRequest,
    postmortem: Postmortem,
    *,
    bound: dict[str, HotwashForm] | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    draft = queries.draft_of(postmortem)
    published = queries.published_of(postmortem)
    shown = draft or published
    titles = {
        code: TitleForm(initial={"language": code, "title": _title(shown, code)})
        for code in Language.values
        if code != postmortem.original_language
    }
    context: dict[str, Any] = {
        "nav": "postmortems",
        "postmortem": postmortem,
        "shareable": can_be_shared(postmortem),
        "draft": draft,
        "published": published,
        "shown": shown,
        "draft_stale": draft is not None and queries.is_stale(draft),
        "published_stale": published is not None and queries.is_stale(published),
        "rows": _rows(shown) if shown else [],
        "replaced": _replaced(shown) if shown else [],
        "missing": queries.missing_texts(draft) if draft else [],
        "findings": queries.blameless_findings(draft) if draft else [],
        "findings_block": sharing_policy().block_on_blameless_findings,
        "problems": problems or [],
        "title_forms": titles,
        "add_form": AddForm(),
        "confirm_form": ConfirmForm(),
    }
    for name, form in (bound or {}).items():
        if name.startswith("title:"):
            titles[name.removeprefix("title:")] = form  # type: ignore[assignment]
        else:
            context[name] = form
    context["error_form"] = next((f for f in (bound or {}).values() if f.errors), None)
    return render(request, "sharing/review.html", context, status=status)


def _title(version: PublicVersion | None, language: str) -> str:
    if version is None:
        return ""
    text = version.texts.filter(key=TITLE, language=language).first()
    return text.original if text else ""


def _ordered(version: PublicVersion) -> list[PublicText]:
    """The title first, then the sections in the template's order, the
    original language first."""
    order = {TITLE: -1} | {
        s.key: i for i, s in enumerate(get_outline(version.postmortem.template).sections)
    }
    first = version.postmortem.original_language
    return sorted(
        version.texts.all(),
        key=lambda t: (t.language != first, t.language, order.get(t.key, len(order))),
    )


def _rows(version: PublicVersion) -> list[TextRow]:
    sections = {s.key: s for s in get_outline(version.postmortem.template).sections}
    rows = []
    for text in _ordered(version):
        replacements = [redaction.Replacement(**item) for item in text.replacements]
        if text.key == TITLE:
            label = _("Title")
        elif text.key in sections:
            label = sections[text.key].title.get(text.language)
        else:
            label = text.key
        rows.append(
            TextRow(
                label=label,
                language=text.language,
                original=redaction.segments(
                    text.original, replacements, text.language, redacted=False
                ),
                public=redaction.segments(
                    text.original, replacements, text.language, redacted=True
                ),
                replaced=len(replacements),
            )
        )
    return rows


def _replaced(version: PublicVersion) -> list[ReplacedText]:
    """Each text replaced, once, with how often."""
    counts: dict[tuple[str, str], int] = {}
    for text in version.texts.all():
        for item in text.replacements:
            key = (str(item["original"]), str(item["kind"]))
            counts[key] = counts.get(key, 0) + 1
    language = version.postmortem.original_language
    return [
        ReplacedText(original, kind, redaction.placeholder(kind, language), count)
        for (original, kind), count in sorted(counts.items(), key=lambda i: i[0][0].casefold())
    ]


def _refused(
    request: HttpRequest,
    postmortem: Postmortem,
    error: DomainError,
    name: str = "",
    form: HotwashForm | None = None,
) -> HttpResponse:
    """The page again with the service's refusal: on the form's field when
    there is a form to show it on, else at the top with what it lists."""
    problems = list(getattr(error, "problems", []))
    bound: dict[str, HotwashForm] = {}
    if form is not None and name:
        form.attach(error)
        bound[name] = form
    else:
        problems.insert(0, str(error.message))
    status = 409 if isinstance(error, Conflict) else 422
    return _render(request, postmortem, bound=bound, problems=problems, status=status)


@login_required
@require_POST
def prepare(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable(request, pk)
    try:
        services.prepare_public_version(postmortem, actor=request.user)
    except DomainError as error:
        return _refused(request, postmortem, error)
    messages.success(request, _("The public version was prepared from the postmortem as it is."))
    return _to_review(postmortem)


@login_required
@require_POST
def set_title(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable(request, pk)
    form = TitleForm(request.POST)
    language = str(request.POST.get("language", ""))
    if not form.is_valid():
        return _render(request, postmortem, bound={f"title:{language}": form}, status=422)
    try:
        services.set_title(
            postmortem,
            actor=request.user,
            language=form.cleaned_data["language"],
            title=form.cleaned_data["title"],
        )
    except DomainError as error:
        return _refused(request, postmortem, error, f"title:{language}", form)
    messages.success(request, _("The title was saved."))
    return _to_review(postmortem)


@login_required
@require_POST
def add_replacement(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable(request, pk)
    form = AddForm(request.POST)
    if not form.is_valid():
        return _render(request, postmortem, bound={"add_form": form}, status=422)
    try:
        services.add_replacement(
            postmortem,
            actor=request.user,
            text=form.cleaned_data["text"],
            kind=form.cleaned_data["kind"],
        )
    except DomainError as error:
        return _refused(request, postmortem, error, "add_form", form)
    messages.success(
        request, _("“%(text)s” is replaced everywhere.") % {"text": form.cleaned_data["text"]}
    )
    return _to_review(postmortem)


@login_required
@require_POST
def undo_replacement(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable(request, pk)
    form = UndoForm(request.POST)
    original = form.cleaned_data["original"] if form.is_valid() else ""
    try:
        services.undo_replacement(postmortem, actor=request.user, original=original)
    except DomainError as error:
        return _refused(request, postmortem, error)
    messages.success(request, _("“%(text)s” is kept as written.") % {"text": original})
    return _to_review(postmortem)


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable(request, pk)
    form = ConfirmForm(request.POST)
    form.is_valid()
    try:
        services.confirm_public_version(
            postmortem, actor=request.user, confirmed=bool(form.cleaned_data.get("confirmed"))
        )
    except DomainError as error:
        return _refused(request, postmortem, error, "confirm_form", form)
    messages.success(request, _("The public version is published."))
    return _to_review(postmortem)
