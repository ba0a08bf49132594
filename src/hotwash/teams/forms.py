"""Web forms for the service catalog.

As elsewhere, forms only parse what the browser sent; the services validate
and decide, and their errors are attached back to the field they name
(`HotwashForm.attach`). Runbooks are typed one per line, the title then the
address, so the form needs no JavaScript to add or remove one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotwash.core.errors import InvalidInput
from hotwash.core.forms import HotwashForm
from hotwash.incidents.models import Service
from hotwash.incidents.services import TEXT_MAX
from hotwash.teams.services import CHANNEL_MAX, CONTACT_MAX, NAME_MAX

Teams = Sequence[tuple[str, str]]


def _text(label: Any, *, maxlength: int, required: bool = False, **kw: Any) -> Any:
    attrs: dict[str, Any] = {"maxlength": maxlength, "autocomplete": "off"}
    if required:
        attrs["required"] = True
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs), **kw)


def runbooks_text(runbooks: list[dict[str, str]]) -> str:
    """Runbooks as the form shows them: one per line, title then address."""
    return "\n".join(f"{entry.get('title', '')} {entry.get('url', '')}" for entry in runbooks)


def parse_runbooks(text: str) -> list[dict[str, str]]:
    """One runbook per non-empty line: the last word is its address, the
    rest its title. The services check both."""
    runbooks = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words:
            continue
        if len(words) == 1:
            raise InvalidInput(
                _("Line %(number)d: write the runbook's title, then its address.")
                % {"number": number},
                field="runbooks",
            )
        runbooks.append({"title": " ".join(words[:-1]), "url": words[-1]})
    return runbooks


class FilterForm(HotwashForm):
    id_prefix = "filter"

    q = _text(gettext_lazy("Search"), maxlength=200)
    team = forms.CharField(label=gettext_lazy("Owning team"), required=False)

    def __init__(self, *args: Any, teams: Teams, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].widget = forms.Select(choices=[("", _("Any team")), *teams])


class ServiceForm(HotwashForm):
    """Adding a service, or changing one (the same fields)."""

    id_prefix = "service"

    name = _text(gettext_lazy("Name"), maxlength=NAME_MAX, required=True)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        help_text=gettext_lazy("What it does and who depends on it."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": TEXT_MAX}),
    )
    owners = forms.MultipleChoiceField(
        label=gettext_lazy("Owning teams"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    escalation_contact = _text(
        gettext_lazy("Escalation contact"),
        maxlength=CONTACT_MAX,
        help_text=gettext_lazy(
            "Who to reach when the owners do not answer: a person, a rota, an address."
        ),
    )
    runbooks = forms.CharField(
        label=gettext_lazy("Runbooks"),
        required=False,
        help_text=gettext_lazy(
            "One per line: the title, then the address (http or https). "
            "For example: Restart the queue https://wiki.example.org/queue"
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    chat_channel = _text(
        gettext_lazy("Chat channel"),
        maxlength=CHANNEL_MAX,
        help_text=gettext_lazy("Where the service is discussed, such as #payments."),
    )
    public = forms.BooleanField(
        label=gettext_lazy("Show on the public status page"), required=False
    )
    public_name = _text(
        gettext_lazy("Public name"),
        maxlength=NAME_MAX,
        help_text=gettext_lazy("The name the public knows it by, if not its name here."),
    )

    def __init__(self, *args: Any, teams: Teams, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = self.fields["owners"]
        assert isinstance(owners, forms.MultipleChoiceField)
        owners.choices = list(teams)
        if not teams:
            owners.help_text = _("There are no teams yet; an admin adds them.")

    @staticmethod
    def initial_for(service: Service, owners: list[str]) -> dict[str, Any]:
        return {
            "name": service.name,
            "description": service.description,
            "owners": owners,
            "escalation_contact": service.escalation_contact,
            "runbooks": runbooks_text(list(service.runbooks or [])),
            "chat_channel": service.chat_channel,
            "public": service.public,
            "public_name": service.public_name,
        }

    def fields_sent(self) -> dict[str, Any]:
        """Every catalog field as the services take it. Raises InvalidInput
        for runbook lines it cannot read."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {
            "name": data.get("name", ""),
            "description": data.get("description", ""),
            "owners": list(data.get("owners") or []),
            "escalation_contact": data.get("escalation_contact", ""),
            "runbooks": parse_runbooks(str(data.get("runbooks") or "")),
            "chat_channel": data.get("chat_channel", ""),
            "public": bool(data.get("public")),
            "public_name": data.get("public_name", ""),
        }
