"""The review page's forms. As elsewhere, forms only parse; the services
validate, and their errors come back on the field they name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hotwash.core.forms import HotwashForm
from hotwash.postmortems.services import TITLE_MAX
from hotwash.sharing import redaction
from hotwash.sharing.services import MARK_MAX

KIND_CHOICES = [
    (redaction.PERSON, _("A person (replaced by “a responder”)")),
    (redaction.HOST, _("An internal service or host (replaced by “an internal service”)")),
    (redaction.ADDRESS, _("An address (replaced by “[address removed]”)")),
    (redaction.EMAIL, _("An email address")),
    (redaction.URL, _("An internal link")),
    (redaction.PATTERN, _("A reference (a ticket, a contract)")),
]


class AddForm(HotwashForm):
    id_prefix = "add"

    text = forms.CharField(
        label=_("Text to replace everywhere"),
        max_length=MARK_MAX,
        help_text=_("A name Hotwash does not know, a host outside the internal domains, ..."),
    )
    kind = forms.ChoiceField(label=_("It is"), choices=KIND_CHOICES, initial=redaction.PERSON)


class UndoForm(HotwashForm):
    id_prefix = "undo"

    original = forms.CharField(max_length=MARK_MAX, strip=False, widget=forms.HiddenInput)


class TitleForm(HotwashForm):
    id_prefix = "title"

    language = forms.CharField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)


class ConfirmForm(HotwashForm):
    id_prefix = "confirm"

    confirmed = forms.BooleanField(
        label=_(
            "I have read the public version beside the original: it names nobody and "
            "shows nothing internal."
        ),
        required=False,
    )
