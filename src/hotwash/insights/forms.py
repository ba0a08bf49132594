"""The insights page's filter form. Rendering only: `queries.Filters.parse`
reads the query string and reports bad values, attached here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from hotwash.core.forms import HotwashForm
from hotwash.incidents.models import Severity
from hotwash.policies import incident_types

PERIOD_CHOICES = [
    ("4w", gettext_lazy("Last 4 weeks")),
    ("quarter", gettext_lazy("Last 13 weeks (a quarter)")),
    ("12m", gettext_lazy("Last 12 months")),
]


def _select(label: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.Select())


class FilterForm(HotwashForm):
    id_prefix = "insights"

    period = _select(gettext_lazy("Period"))
    since = forms.CharField(
        label=gettext_lazy("Or from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.CharField(
        label=gettext_lazy("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    severity = _select(gettext_lazy("Severity"))
    type = _select(gettext_lazy("Type"))
    service = forms.CharField(label=gettext_lazy("Service"), required=False)
    team = _select(gettext_lazy("Team"))

    def __init__(
        self,
        *args: Any,
        services: Sequence[str] = (),
        teams: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].widget.choices = PERIOD_CHOICES
        self.fields["severity"].widget.choices = [
            ("", gettext_lazy("Any severity")),
            *((str(level), label) for level, label in Severity.choices),
        ]
        self.fields["type"].widget.choices = [
            ("", gettext_lazy("Any type")),
            *((key, definition.name.get()) for key, definition in incident_types().items()),
        ]
        self.fields["team"].widget.choices = [
            ("", gettext_lazy("Any team")),
            *teams,
        ]
        self.fields["service"].widget = forms.TextInput(attrs={"list": "insights_service_names"})
        self.service_names = list(services)
