"""Web forms for action items.

As for incidents, forms only parse what the browser sent; the services
validate and decide, and their errors are attached back to the field they
name (`HotwashForm.attach`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotwash.actions.models import Kind, Priority, Status
from hotwash.actions.queries import ACTIVE, SORTS
from hotwash.actions.services import TITLE_MAX
from hotwash.core.forms import HotwashForm, People, PeopleSelect
from hotwash.incidents.services import TEXT_MAX

Teams = Sequence[tuple[str, str]]


def _text(label: Any, *, required: bool = False, maxlength: int = TITLE_MAX, **kw: Any) -> Any:
    attrs: dict[str, Any] = {"maxlength": maxlength, "autocomplete": "off"}
    if required:
        attrs["required"] = True
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs), **kw)


def _select(label: Any, choices: Any, **kw: Any) -> Any:
    return forms.CharField(label=label, required=False, widget=forms.Select(choices=choices), **kw)


def _date(label: Any, *, required: bool = False, **kw: Any) -> Any:
    attrs: dict[str, Any] = {"type": "date"}
    if required:
        attrs["required"] = True
    return forms.CharField(label=label, required=False, widget=forms.DateInput(attrs=attrs), **kw)


DESCRIPTION_HELP = gettext_lazy("Context, links, what done looks like.")
OWNER_HELP = gettext_lazy("Exactly one person is accountable for it.")


class ItemFieldsMixin:
    """The owner and team pickers shared by the create and edit forms."""

    fields: dict[str, forms.Field]

    def setup_pickers(self, people: People, teams: Teams, *, empty_owner: str) -> None:
        self.fields["owner"].widget = PeopleSelect(
            choices=[("", empty_owner), *people], attrs={"required": True}
        )
        self.fields["team"].widget = forms.Select(choices=[("", _("No team")), *teams])


class CreateForm(ItemFieldsMixin, HotwashForm):
    id_prefix = "item"

    title = _text(gettext_lazy("Title"), required=True)
    owner = forms.CharField(label=gettext_lazy("Owner"), required=False, help_text=OWNER_HELP)
    due = _date(
        gettext_lazy("Due date"),
        help_text=gettext_lazy("Leave empty to use the policy's default for this incident."),
    )
    priority = _select(gettext_lazy("Priority"), Priority.choices, initial=Priority.MEDIUM)
    kind = _select(gettext_lazy("Kind"), Kind.choices, initial=Kind.PREVENT)
    team = forms.CharField(
        label=gettext_lazy("Team"),
        required=False,
        help_text=gettext_lazy("Leave empty to use the owner's team when they have only one."),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        help_text=DESCRIPTION_HELP,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX}),
    )
    incident = forms.CharField(widget=forms.HiddenInput, required=False)
    postmortem = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, people: People, teams: Teams, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_pickers(people, teams, empty_owner=_("Choose a person"))

    def creation(self) -> dict[str, Any]:
        """Keyword arguments for `create_action_item` (without the links)."""
        return {
            "title": self.value("title") or "",
            "owner": self.value("owner") or "",
            "due_on": self.value("due") or None,
            "priority": self.value("priority") or None,
            "kind": self.value("kind") or None,
            "team": self.value("team") or None,
            "description": self.value("description") or "",
        }


class EditForm(ItemFieldsMixin, HotwashForm):
    """Every field but the status. Each keeps a hidden copy of the value the
    page showed and only changed fields are sent, so someone else's change
    since the page loaded is not silently undone."""

    id_prefix = "edit"

    title = _text(gettext_lazy("Title"), required=True)
    owner = forms.CharField(label=gettext_lazy("Owner"), required=False, help_text=OWNER_HELP)
    due = _date(gettext_lazy("Due date"), required=True)
    priority = _select(gettext_lazy("Priority"), Priority.choices)
    kind = _select(gettext_lazy("Kind"), Kind.choices)
    team = forms.CharField(label=gettext_lazy("Team"), required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        help_text=DESCRIPTION_HELP,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX}),
    )

    def __init__(
        self, *args: Any, initial: dict[str, Any], people: People, teams: Teams, **kwargs: Any
    ) -> None:
        super().__init__(*args, initial=initial, **kwargs)
        self.setup_pickers(people, teams, empty_owner=_("Choose a person"))
        for field in self.fields.values():
            field.show_hidden_initial = True

    def changes(self) -> dict[str, Any]:
        """Only what the person changed, for `update_action_item`."""
        return {
            name: self.cleaned_data.get(name) or ("" if name in ("title", "description") else None)
            for name in self.changed_data
        }


class StatusForm(HotwashForm):
    id_prefix = "status"

    status = _select(gettext_lazy("Status"), Status.choices)
    reason = forms.CharField(
        label=gettext_lazy("Reason (for won't do)"),
        required=False,
        help_text=gettext_lazy("Required when it will not be done: say why."),
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": TEXT_MAX}),
    )

    def changes(self) -> dict[str, Any]:
        status = self.value("status") or ""
        changes: dict[str, Any] = {"status": status}
        if status == Status.WONT_DO or self.value("reason"):
            changes["reason"] = self.value("reason") or ""
        return changes


STATUS_FILTERS = [
    ("", gettext_lazy("Any status")),
    (ACTIVE, gettext_lazy("Still to do (open or in progress)")),
    *Status.choices,
]
SORT_LABELS = {
    "due": gettext_lazy("Soonest due first"),
    "-due": gettext_lazy("Latest due first"),
    "-created": gettext_lazy("Newest first"),
    "-updated": gettext_lazy("Recently updated first"),
}
assert set(SORT_LABELS) == set(SORTS)


class FilterForm(HotwashForm):
    """The list's filters; rendering only (`ItemFilters.parse` reads the
    query string and reports bad values, attached here)."""

    id_prefix = "filter"

    q = forms.CharField(label=gettext_lazy("Title contains"), required=False)
    owner = forms.CharField(label=gettext_lazy("Owner"), required=False)
    team = forms.CharField(label=gettext_lazy("Team"), required=False)
    status = _select(gettext_lazy("Status"), STATUS_FILTERS)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    incident = forms.CharField(
        label=gettext_lazy("Incident"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "INC-42"}),
    )
    postmortem = forms.CharField(
        label=gettext_lazy("Postmortem"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "PM-3"}),
    )
    sort = _select(gettext_lazy("Sort"), list(SORT_LABELS.items()))

    def __init__(self, *args: Any, people: People, teams: Teams, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].widget = PeopleSelect(choices=[("", _("Anyone")), *people])
        self.fields["team"].widget = forms.Select(choices=[("", _("Any team")), *teams])
