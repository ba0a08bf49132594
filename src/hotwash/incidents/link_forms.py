"""The web forms for linking and merging incidents. They parse only; the
services in incidents/linking.py decide (hotwash.core.forms)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hotwash.core.forms import HotwashForm
from hotwash.incidents.models import LinkKind

# The link as a person reads it from the incident they are on.
KIND_CHOICES = [
    (LinkKind.RELATED.value, _("Related to")),
    (LinkKind.CAUSED_BY.value, _("Caused by")),
]


class LinkForm(HotwashForm):
    id_prefix = "link"

    to = forms.CharField(
        label=_("Other incident"),
        help_text=_("Its reference, e.g. INC-41."),
        required=False,
        widget=forms.TextInput(attrs={"required": True, "autocomplete": "off", "size": 12}),
    )
    kind = forms.ChoiceField(
        label=_("This incident is"),
        choices=KIND_CHOICES,
        required=False,
        initial=LinkKind.RELATED.value,
    )


class MergeForm(HotwashForm):
    id_prefix = "merge"

    into = forms.CharField(
        label=_("Merge into"),
        help_text=_(
            "The reference of the incident that carries on, e.g. INC-41. This one is "
            "closed as its duplicate."
        ),
        required=False,
        widget=forms.TextInput(attrs={"required": True, "autocomplete": "off", "size": 12}),
    )
