"""The editor: one form per section, each saved on its own with the version
it started from, so two people never overwrite each other silently.

Works as plain form posts; editor.js enhances it (saving without a reload,
preview, the live blameless-language check) and asks for JSON by sending
`Accept: application/json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotwash.core.errors import DomainError
from hotwash.core.text import one_line
from hotwash.postmortems import services
from hotwash.postmortems.forms import SectionForm
from hotwash.postmortems.models import Language, Postmortem, Section
from hotwash.postmortems.rendering import render_markdown
from hotwash.postmortems.services import SectionConflict
from hotwash.postmortems.views.common import (
    SectionView,
    chosen_language,
    language_versions,
    other_language,
    postmortem_or_404,
    section_views,
    texts_in,
)

WHYS = 5
PREVIEW_MAX = services.SECTION_MAX


@dataclass
class EditorItem:
    """One section's editor: its form and, after a post, what to show."""

    section: SectionView
    form: SectionForm
    conflict: SectionConflict | None = None
    preview: SafeString | None = None
    # The other language's text of this section, for reference.
    other_text: str = ""

    @property
    def other_html(self) -> SafeString:
        return render_markdown(self.other_text)

    @property
    def whys(self) -> list[tuple[int, str]]:
        return [(n, str(self.form.data.get(f"why_{n}", ""))) for n in range(1, WHYS + 1)]


def _editable_or_403(request: HttpRequest, postmortem: Postmortem) -> None:
    if not services.can_edit(request.user, postmortem):
        raise PermissionDenied


def _form(section: SectionView, language: str, **kwargs: Any) -> SectionForm:
    return SectionForm(
        key=section.key,
        label=section.title,
        help_text=section.help,
        initial={"body": section.body, "base_version": section.version, "language": language},
        **kwargs,
    )


@login_required
def editor(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = postmortem_or_404(request, pk)
    _editable_or_403(request, postmortem)
    return render_editor(request, postmortem, _language(request, postmortem))


def _language(request: HttpRequest, postmortem: Postmortem) -> str:
    written = {k for k, v in services.completeness(postmortem).items() if v[0]}
    return chosen_language(request, postmortem, written)


def render_editor(
    request: HttpRequest,
    postmortem: Postmortem,
    language: str,
    *,
    replaced: EditorItem | None = None,
    status: int = 200,
) -> HttpResponse:
    items = [
        replaced
        if replaced and replaced.section.key == s.key
        else EditorItem(s, _form(s, language))
        for s in section_views(postmortem, language)
    ]
    others = texts_in(postmortem, other_language(language))
    for item in items:
        item.other_text = others.get(item.section.key, "")
    error_form = replaced.form if replaced and replaced.form.errors else None
    context = {
        "nav": "postmortems",
        "postmortem": postmortem,
        "language": language,
        "versions": language_versions(postmortem, language),
        "items": items,
        "editable": postmortem.is_open,
        "error_form": error_form,
        "editor_config": _config(postmortem, language),
        "other_language": other_language(language),
    }
    return render(request, "postmortems/editor.html", context, status=status)


def _config(postmortem: Postmortem, language: str) -> dict[str, Any]:
    """What editor.js needs, written by the server so it is translated."""
    with translation.override(language):
        five_whys = _("Five whys")
    return {
        "lintUrl": "/api/v1/lint",
        "previewUrl": reverse("postmortems:preview", args=[postmortem.pk]),
        "language": language,
        "fiveWhysHeading": five_whys,
        "text": {
            "saving": _("Saving…"),
            "saved": _("Saved."),
            "saveFailed": _("Could not save: %(reason)s"),
            "noFindings": _("No blameful language found."),
            "findingsOne": _("Blameless-language check: one suggestion."),
            "findingsMany": _("Blameless-language check: %(count)s suggestions."),
            "suggestion": _("Suggestion:"),
            "showInText": _("Show in the text"),
            "previewFailed": _("The preview could not be shown."),
            "previewHeading": _("Preview"),
        },
    }


def compose_whys(data: Any, language: str) -> str:
    """The five-whys answers as a Markdown list, headed in the section's
    language; empty when none was filled in."""
    answers = [one_line(str(data.get(f"why_{n}", ""))) for n in range(1, WHYS + 1)]
    answers = [answer for answer in answers if answer]
    if not answers:
        return ""
    with translation.override(language):
        heading = _("Five whys")
    lines = "\n".join(f"{n}. {answer}" for n, answer in enumerate(answers, start=1))
    return f"**{heading}**\n\n{lines}\n"


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def save_section(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    postmortem = postmortem_or_404(request, pk)
    _editable_or_403(request, postmortem)
    language = str(request.POST.get("language") or "")
    if language not in Language.values:
        language = postmortem.original_language
    section = next((s for s in section_views(postmortem, language) if s.key == key), None)
    if section is None:
        raise Http404
    form = SectionForm(request.POST, key=section.key, label=section.title, help_text=section.help)
    form.is_valid()
    body = str(form.value("body") or "").replace("\r\n", "\n")
    whys = compose_whys(request.POST, language)
    if whys:
        body = f"{body.rstrip()}\n\n{whys}" if body.strip() else whys
    if request.POST.get("intent") == "preview":
        item = EditorItem(section, _form(section, language, data=_data(body, form)))
        item.preview = render_markdown(body)
        return render_editor(request, postmortem, language, replaced=item)
    try:
        saved = services.save_section(
            postmortem,
            actor=request.user,
            key=key,
            language=language,
            body=body,
            base_version=form.value("base_version") or 0,
        )
    except SectionConflict as conflict:
        return _conflict(request, postmortem, section, language, conflict)
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from None
        return _failed(request, postmortem, section, language, form, body, error)
    message = _("“%(section)s” saved.") % {"section": section.title}
    if _wants_json(request):
        return JsonResponse({"version": saved.version, "body": saved.body, "message": message})
    messages.success(request, message)
    url = reverse("postmortems:edit", args=[postmortem.pk])
    return redirect(f"{url}?lang={language}#section-{key}")


def _data(body: str, form: SectionForm, base_version: Any = None) -> dict[str, Any]:
    return {
        "body": body,
        "base_version": form.value("base_version") if base_version is None else base_version,
        "language": form.value("language"),
    }


def _conflict(
    request: HttpRequest,
    postmortem: Postmortem,
    section: SectionView,
    language: str,
    conflict: SectionConflict,
) -> HttpResponse:
    """Nothing was saved. Both texts go back to the author: theirs to read,
    yours in the editor, now based on their version so that the next save,
    once merged, goes through."""
    current: Section = conflict.current
    section.body = current.body
    section.version = current.version
    section.updated_by = current.updated_by
    form = _form(section, language)
    form.initial["body"] = conflict.yours
    item = EditorItem(section, form, conflict=conflict)
    item.other_text = texts_in(postmortem, other_language(language)).get(section.key, "")
    if _wants_json(request):
        html = render_to_string(
            "postmortems/_section_editor.html",
            {
                "item": item,
                "postmortem": postmortem,
                "language": language,
                "other_language": other_language(language),
                "editable": True,
            },
            request=request,
        )
        return JsonResponse(
            {
                "message": conflict.message,
                "field": "body",
                "version": current.version,
                "theirs": current.body,
                "yours": conflict.yours,
                "html": html,
            },
            status=409,
        )
    return render_editor(request, postmortem, language, replaced=item, status=409)


def _failed(
    request: HttpRequest,
    postmortem: Postmortem,
    section: SectionView,
    language: str,
    form: SectionForm,
    body: str,
    error: DomainError,
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"message": error.message, "field": error.field}, status=error.status_code
        )
    bound = _form(section, language, data=_data(body, form))
    bound.is_valid()
    bound.attach(error)
    item = EditorItem(section, bound)
    return render_editor(request, postmortem, language, replaced=item, status=error.status_code)


@login_required
@require_POST
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The section text as it will be shown: the same safe rendering as the
    page (no raw HTML, no javascript: links)."""
    postmortem_or_404(request, pk)
    text = str(request.POST.get("text", ""))[:PREVIEW_MAX]
    if request.content_type == "application/json":
        try:
            text = str(json.loads(request.body or b"{}").get("text", ""))[:PREVIEW_MAX]
        except (ValueError, AttributeError):
            text = ""
    html = render_markdown(text)
    return HttpResponse(format_html('<div class="markdown">{}</div>', html))
