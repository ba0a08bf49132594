"""The base every Hotwash web form builds on, and the people picker.

Forms only *parse* what a browser sent; the service functions validate and
decide (one set of rules and messages for web, API and CLI). So fields are
lenient on the server and carry their constraints as HTML attributes
(required, maxlength) for the browser. A service's DomainError is attached
back to the field it names with `HotwashForm.attach`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from hotwash.core.errors import DomainError, InvalidInput
from hotwash.core.validators import check_date

# (username, name shown) pairs for the person pickers; loaded once per page
# (`hotwash.accounts.queries` has the usual lists).
People = Sequence[tuple[str, str]]


class HotwashForm(forms.Form):
    """Base form: ids prefixed so several forms can share a page, no label
    suffix, and a way to attach a service's error to the right field."""

    id_prefix = "form"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any] | None:
        """Every date and time sent is within the range Hotwash computes
        with (the API checks the same: `hotwash.core.validators`)."""
        cleaned = super().clean()
        for name, value in list(self.cleaned_data.items()):
            if isinstance(value, date):
                try:
                    check_date(value, name)
                except InvalidInput as error:
                    self.add_error(name, error.message)
        return cleaned

    def attach(self, error: DomainError) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)

    def value(self, name: str) -> Any:
        """A cleaned value, or what was sent if it did not clean."""
        if hasattr(self, "cleaned_data") and name in self.cleaned_data:
            return self.cleaned_data[name]
        return self.data.get(name)


class PeopleSelect(forms.Select):
    """A <select> of people, rendered in one pass.

    The incident page shows six of these, each listing every responder;
    Django's template-per-option rendering made them most of the page's
    time. The output is the same markup."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        selected = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) == selected else "", label)
                for key, label in self.choices
            ),
        )
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)
