"""The search page's form: rendering only. `SearchParams.parse` reads the
query string and reports a bad value, which is attached here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from hotwash.core.forms import HotwashForm
from hotwash.incidents import fields as custom_fields
from hotwash.search.models import Kind


class SearchForm(HotwashForm):
    id_prefix = "search"

    q = forms.CharField(
        label=gettext_lazy("Words to find"),
        required=False,
        help_text=gettext_lazy("In English or French; accents and word endings do not matter."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    kind = forms.CharField(
        label=gettext_lazy("Kind"),
        required=False,
        widget=forms.Select(choices=[("", gettext_lazy("Everything")), *Kind.choices]),
    )
    since = forms.CharField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.CharField(
        label=gettext_lazy("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    type = forms.CharField(label=gettext_lazy("Incident type"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].widget = forms.Select(
            choices=[("", gettext_lazy("Any type")), *custom_fields.type_choices()]
        )
