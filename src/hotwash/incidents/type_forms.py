"""The incident type choice and its custom fields in web forms (declaring,
and the incident page's "Type and fields" form).

Every type's fields are in the form, each type's in a fieldset naming the
type, so the page works without JavaScript: only the chosen type's fields
are read and checked (by hotwash.incidents.fields, as in the API). With
JavaScript (incidents/types.js) only the chosen type's fieldset shows.
Like the other incident forms, fields only parse: the service decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotwash.accounts.queries import everyone_except
from hotwash.core.errors import DomainError
from hotwash.core.forms import HotwashForm, PeopleSelect
from hotwash.incidents import fields as custom_fields
from hotwash.incidents.models import Incident, Severity
from hotwash.policies import CustomFieldDefinition, IncidentTypeDefinition
from hotwash.policies import incident_types as policy_types

# "privacy-breach__people_affected": type keys have no "__", field keys no "-".
SEPARATOR = "__"


def form_field_name(type_key: str, field_key: str) -> str:
    return f"{type_key}{SEPARATOR}{field_key}"


@dataclass(frozen=True)
class TypeOption:
    """One radio button of the type choice, with what the type presets."""

    value: str
    id: str
    name: str
    description: str
    presets: str
    checked: bool


@dataclass(frozen=True)
class TypeFieldset:
    """One type's custom fields, shown together under the type's name."""

    key: str
    id: str
    legend: str
    fields: list[forms.BoundField]
    chosen: bool


def presets_text(definition: IncidentTypeDefinition) -> str:
    """ "Declared as SEV2, private." — what choosing the type changes."""
    parts: list[str] = []
    if definition.default_severity is not None:
        parts.append(str(Severity(definition.default_severity).label))
    if definition.private:
        parts.append(_("private"))
    if not parts:
        return ""
    return _("Declared as %(presets)s unless you choose otherwise.") % {"presets": ", ".join(parts)}


def _widget(field: CustomFieldDefinition, people: list[tuple[str, str]] | None) -> forms.Widget:
    attrs: dict[str, Any] = {"autocomplete": "off"}
    if field.required:
        attrs["aria-required"] = "true"
    if field.kind == "text":
        return forms.Textarea(attrs={**attrs, "rows": 2, "maxlength": custom_fields.FIELD_TEXT_MAX})
    if field.kind == "number":
        return forms.TextInput(attrs={**attrs, "inputmode": "decimal"})
    if field.kind == "date":
        return forms.DateInput(attrs={**attrs, "type": "date"})
    if field.kind == "choice":
        choices = [("", _("Not known yet"))]
        choices += [(choice.key, choice.name.get()) for choice in field.choices]
        return forms.Select(attrs=attrs, choices=choices)
    if field.kind == "yes-no":
        return forms.Select(
            attrs=attrs, choices=[("", _("Not known yet")), ("true", _("Yes")), ("false", _("No"))]
        )
    return PeopleSelect(attrs=attrs, choices=[("", _("Not known yet")), *(people or [])])


def _label(field: CustomFieldDefinition) -> str:
    name = field.name.get()
    return _("%(field)s (required)") % {"field": name} if field.required else name


def _initial_text(field: CustomFieldDefinition, value: Any) -> Any:
    """A stored value as its input shows it."""
    if field.kind == "yes-no" and isinstance(value, bool):
        return "true" if value else "false"
    return value


class TypedFieldsMixin:
    """The `type` choice and every type's fields, for a HotwashForm."""

    fields: dict[str, forms.Field]
    data: Any
    id_prefix: str

    def add_type_fields(self, values: Mapping[str, Any] | None = None, chosen: str = "") -> None:
        """Add a field per custom field of every type; `values` (the
        incident's) fill the `chosen` type's inputs."""
        types = policy_types()
        needs_people = any(f.kind == "person" for t in types.values() for f in t.fields)
        people = everyone_except(set()) if needs_people else None
        for type_key, definition in types.items():
            for field in definition.fields:
                form_field = forms.CharField(
                    label=_label(field),
                    required=False,
                    widget=_widget(field, people),
                    help_text=field.help.get() if field.help else "",
                )
                if values is not None and type_key == chosen and field.key in values:
                    form_field.initial = _initial_text(field, values[field.key])
                self.fields[form_field_name(type_key, field.key)] = form_field

    def chosen_type(self) -> str:
        """The type sent (cleaned later by the service), else the one shown."""
        form: HotwashForm = self  # type: ignore[assignment]
        sent = str(form.data.get("type") or "").strip() if form.is_bound else ""
        return sent or str(form.initial.get("type") or custom_fields.default_incident_type())

    def field_values(self) -> dict[str, Any]:
        """The chosen type's fields as sent, by key: every one of them, so
        an emptied input clears its value."""
        form: HotwashForm = self  # type: ignore[assignment]
        chosen = self.chosen_type()
        return {
            field.key: form.data.get(form_field_name(chosen, field.key), "")
            for field in custom_fields.field_definitions(chosen)
        }

    def type_options(self) -> list[TypeOption]:
        chosen = self.chosen_type()
        return [
            TypeOption(
                value=key,
                id=f"{self.id_prefix}_type_{key}",
                name=definition.name.get(),
                description=definition.description.get() if definition.description else "",
                presets=presets_text(definition),
                checked=key == chosen,
            )
            for key, definition in policy_types().items()
        ]

    def type_fieldsets(self) -> list[TypeFieldset]:
        form: HotwashForm = self  # type: ignore[assignment]
        chosen = self.chosen_type()
        return [
            TypeFieldset(
                key=key,
                id=f"{self.id_prefix}_fields_{key}",
                legend=_("%(type)s fields") % {"type": definition.name.get()},
                fields=[form[form_field_name(key, field.key)] for field in definition.fields],
                chosen=key == chosen,
            )
            for key, definition in policy_types().items()
            if definition.fields
        ]

    def attach(self, error: DomainError) -> None:
        """A service error on the input it names: each problem of a custom
        field (`fields.<key>`) on that field of the chosen type."""
        form: HotwashForm = self  # type: ignore[assignment]
        if isinstance(error, custom_fields.InvalidFields):
            chosen = self.chosen_type()
            for field, message in error.field_problems:
                name = form_field_name(chosen, field.removeprefix("fields."))
                form.add_error(name if name in form.fields else None, message)
            return
        HotwashForm.attach(form, error)


TYPE_LABEL = gettext_lazy("Type of incident")


class TypeForm(TypedFieldsMixin, HotwashForm):
    """The incident page's "Type and fields": change the type and the
    values of its fields (`update_incident` with `type` and `fields`)."""

    id_prefix = "type"

    type = forms.CharField(label=TYPE_LABEL, required=False)

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, initial={"type": incident.type}, **kwargs)
        self.add_type_fields(dict(incident.fields or {}), incident.type)

    def changes(self) -> dict[str, Any]:
        return {"type": self.chosen_type(), "fields": self.field_values()}
