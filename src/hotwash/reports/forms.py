"""Web forms for reports. As elsewhere, forms only parse; the services
validate, and their errors come back on the field they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hotwash.core.forms import HotwashForm
from hotwash.incidents.models import Severity
from hotwash.incidents.services import TITLE_MAX
from hotwash.reports.models import Kind, Status
from hotwash.reports.services import COMMENT_MAX, NOTE_MAX, TEXT_MAX

KIND_CHOICES = [
    (Kind.NEAR_MISS, _("A near miss: something almost went wrong.")),
    (Kind.CONCERN, _("A confidential concern about a process or a situation.")),
]
NAMED, ANONYMOUS = "named", "anonymous"
IDENTITY_CHOICES = [
    (NAMED, _("With my name: reviewers know it is mine, and I can follow what becomes of it.")),
    (ANONYMOUS, _("Anonymously: nothing links it to me, and I cannot follow it.")),
]


def _textarea(label: Any, maxlength: int, *, required: bool = False, rows: int = 4) -> Any:
    attrs: dict[str, Any] = {"maxlength": maxlength, "rows": rows}
    if required:
        attrs["required"] = True
    return forms.CharField(label=label, required=False, strip=False, widget=forms.Textarea(attrs))


class FileForm(HotwashForm):
    id_prefix = "report"

    kind = forms.ChoiceField(
        label=_("What are you reporting?"), choices=KIND_CHOICES, widget=forms.RadioSelect
    )
    text = _textarea(_("What happened, or what concerns you?"), TEXT_MAX, required=True, rows=8)
    identity = forms.ChoiceField(
        label=_("How do you want to file it?"),
        choices=IDENTITY_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether to file it with your name or anonymously.")},
    )

    @property
    def anonymous(self) -> bool:
        return self.cleaned_data.get("identity") == ANONYMOUS


class FilterForm(HotwashForm):
    id_prefix = "filter"

    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Status.choices]
    )


class CommentForm(HotwashForm):
    id_prefix = "comment"

    body = _textarea(_("Comment, for the other reviewers"), COMMENT_MAX, required=True)


class CloseForm(HotwashForm):
    id_prefix = "close"

    note = _textarea(_("Note for the person who filed it"), NOTE_MAX, required=True)


class RetrospectiveForm(HotwashForm):
    id_prefix = "retro"

    title = forms.CharField(
        label=_("Title of the retrospective"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": TITLE_MAX}),
    )
    note = _textarea(_("Note for the person who filed it (optional)"), NOTE_MAX)


class IncidentForm(HotwashForm):
    id_prefix = "incident"

    title = forms.CharField(
        label=_("Title of the incident"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": TITLE_MAX}),
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("The near-miss type's default")), *Severity.choices],
    )
    private = forms.BooleanField(label=_("Private incident"), required=False)
    note = _textarea(_("Note for the person who filed it (optional)"), NOTE_MAX)
