"""The stakeholder update form on the incident page. It only parses what
the browser sent; services.publish_update validates and decides, and its
errors are attached back to the field they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotwash.core.errors import DomainError
from hotwash.core.forms import HotwashForm
from hotwash.statuspage.models import Audience, PublicStatus
from hotwash.statuspage.services import TEXT_MAX

# The service names fields as the API does ("text.en"); the form's are flat.
SERVICE_FIELDS = {"text.en": "text_en", "text.fr": "text_fr"}


class UpdateForm(HotwashForm):
    id_prefix = "update"

    audience = forms.ChoiceField(
        label=gettext_lazy("Audience"),
        choices=Audience.choices,
        initial=Audience.INTERNAL,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Internal: people following the incident and its services. Public: the status "
            "page and its subscribers, in English and French."
        ),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("What readers are told"),
        choices=PublicStatus.choices,
        help_text=gettext_lazy("Not necessarily the incident's own status."),
    )
    text_en = forms.CharField(
        label=gettext_lazy("English text"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX, "lang": "en"}),
    )
    text_fr = forms.CharField(
        label=gettext_lazy("French text"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX, "lang": "fr"}),
    )
    # Sent by the "Publish anyway" button, shown with the blameless
    # assistant's findings.
    publish_anyway = forms.BooleanField(required=False)

    def __init__(self, *args: Any, internal_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if internal_only:
            # A private incident never reaches the status page: offer only
            # what can be published (the service refuses the rest anyway).
            field = self.fields["audience"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(Audience.INTERNAL.value, Audience.INTERNAL.label)]
            field.help_text = _(
                "This incident is private: its updates are internal. Make it public first "
                "to publish on the status page."
            )

    def texts(self) -> dict[str, str]:
        return {"en": self.cleaned_data["text_en"], "fr": self.cleaned_data["text_fr"]}

    def attach(self, error: DomainError) -> None:
        field = SERVICE_FIELDS.get(error.field or "", error.field)
        self.add_error(field if field in self.fields else None, error.message)
