"""What every postmortem page shares: finding a postmortem the way the
services see it (one of a private incident stays hidden), the list of those
a person may read, and the sections of an outline in one language."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.safestring import SafeString

from hotwash.postmortems import services
from hotwash.postmortems.models import Comment, Language, Postmortem, Section
from hotwash.postmortems.outlines import get_outline
from hotwash.postmortems.rendering import render_markdown

PostmortemView = Callable[..., HttpResponse]


def postmortem_or_404(request: HttpRequest, pk: int) -> Postmortem:
    """The postmortem, or 404 also when the viewer may not read it, so a
    private incident's postmortem does not reveal that it exists."""
    postmortem = Postmortem.objects.select_related("incident", "owner").filter(pk=pk).first()
    if postmortem is None or not services.can_read(request.user, postmortem):
        raise Http404
    return postmortem


def postmortem_action(view: PostmortemView) -> PostmortemView:
    """A POST handler for one postmortem: signed in, readable (404 first),
    and a GET of the address lands on the postmortem page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        postmortem = postmortem_or_404(request, pk)
        if request.method != "POST":
            return redirect("postmortems:detail", postmortem.pk)
        return view(request, postmortem, **kwargs)

    return wrapper


def to_postmortem(
    postmortem: Postmortem, anchor: str = "", *, language: str = ""
) -> HttpResponseRedirect:
    url = reverse("postmortems:detail", args=[postmortem.pk])
    if language:
        url += f"?lang={language}"
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


def chosen_language(request: HttpRequest, postmortem: Postmortem, written: set[str]) -> str:
    """?lang= when valid; else the reader's language when that version has
    any text; else the original."""
    asked = str(request.GET.get("lang") or request.POST.get("language") or "")
    if asked in Language.values:
        return asked
    reader = (getattr(request, "LANGUAGE_CODE", "") or "en")[:2]
    if reader in written:
        return reader
    return postmortem.original_language


@dataclass
class SectionView:
    """One section of the outline, in one language, ready to show."""

    key: str
    title: str
    level: int
    help: str
    body: str
    version: int
    generated: str | None
    five_whys: bool
    updated_by: Any = None
    comments: list[Comment] = field(default_factory=list)
    # Whether the other language's version of this section has text.
    other_written: bool = False

    @property
    def html(self) -> SafeString:
        return render_markdown(self.body)


def section_views(
    postmortem: Postmortem, language: str, comments: Iterable[Comment] = ()
) -> list[SectionView]:
    outline = get_outline(postmortem.template)
    saved = {
        section.key: section
        for section in Section.objects.filter(
            postmortem=postmortem, language=language
        ).select_related("updated_by")
    }
    by_section: dict[str, list[Comment]] = {}
    for comment in comments:
        by_section.setdefault(comment.section_key, []).append(comment)
    views = []
    for outline_section in outline.sections:
        saved_section = saved.get(outline_section.key)
        if outline_section.extra and not (saved_section and saved_section.body.strip()):
            continue  # the extra section is there only when an import needed it
        views.append(
            SectionView(
                key=outline_section.key,
                title=outline_section.title.get(language),
                level=outline_section.level,
                help=outline_section.help.get(language) if outline_section.help else "",
                body=saved_section.body if saved_section else "",
                version=saved_section.version if saved_section else 0,
                generated=outline_section.generated,
                five_whys=outline_section.five_whys,
                updated_by=saved_section.updated_by if saved_section else None,
                comments=by_section.get(outline_section.key, []),
            )
        )
    return views


def other_language(language: str) -> str:
    return next(code for code in Language.values if code != language)


def texts_in(postmortem: Postmortem, language: str) -> dict[str, str]:
    """Section texts of one language version, by key (non-empty only): the
    other version, shown for reference while reading or translating."""
    return {
        key: body
        for key, body in Section.objects.filter(
            postmortem=postmortem, language=language
        ).values_list("key", "body")
        if body.strip()
    }


@dataclass(frozen=True)
class LanguageVersion:
    """One language's version, for the switch: how complete, whether it is
    the original."""

    code: str
    name: str
    written: int
    total: int
    original: bool
    current: bool


def language_versions(postmortem: Postmortem, current: str) -> list[LanguageVersion]:
    counts = services.completeness(postmortem)
    return [
        LanguageVersion(
            code=code,
            name=str(name),
            written=counts.get(code, (0, 0))[0],
            total=counts.get(code, (0, 0))[1],
            original=code == postmortem.original_language,
            current=code == current,
        )
        for code, name in Language.choices
    ]
