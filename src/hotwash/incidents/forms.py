"""Web forms for incidents.

Forms here only *parse* what a browser sent; the service functions validate
and decide (one set of rules and messages for web, API and CLI). So fields
are lenient on the server and carry their constraints as HTML attributes
(required, maxlength) for the browser. A service's DomainError is attached
back to the field it names with `HotwashForm.attach` (`hotwash.core.forms`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotwash.core.forms import HotwashForm, People, PeopleSelect
from hotwash.incidents import display
from hotwash.incidents import fields as custom_fields
from hotwash.incidents.models import (
    IMPACT_TIME_FIELDS,
    DetectionSource,
    Incident,
    Severity,
    Status,
    TimelineEvent,
    TimelineKind,
)
from hotwash.incidents.queries import NONE, trigger_choices
from hotwash.incidents.services import TEXT_MAX, TITLE_MAX
from hotwash.incidents.type_forms import TYPE_LABEL, TypedFieldsMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def zone_hint() -> str:
    """Which zone a datetime-local input is read in: the viewer's own."""
    return _("In your time zone, %(zone)s.") % {"zone": timezone.get_current_timezone_name()}


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=LOCAL_INPUT_FORMAT)


class HiddenDateTimeLocalInput(forms.HiddenInput):
    """The hidden initial copy in the same minute precision as the visible
    input, so an untouched time never counts as changed."""

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime):
            return value.strftime(LOCAL_INPUT_FORMAT)
        return super().format_value(value)


class LocalDateTimeField(forms.DateTimeField):
    """A `datetime-local` input, read in the viewer's time zone (Django makes
    naive input aware in the active zone; the middleware activated the
    person's own)."""

    widget = DateTimeLocalInput
    hidden_widget = HiddenDateTimeLocalInput


@dataclass(frozen=True)
class SeverityOption:
    """One radio button of a severity choice, with its definition."""

    value: str
    id: str
    label: str
    name: str
    description: str
    checked: bool


class SeverityChoiceMixin:
    """Severity is chosen from radio buttons that each show the level's
    definition (organisations configure them), so templates render it by
    hand from `severity_options`."""

    def severity_options(self) -> list[SeverityOption]:
        field = self["severity"]  # type: ignore[index]
        current = str(field.value() or "")
        return [
            SeverityOption(
                value=str(level),
                id=f"{field.auto_id}_{level}",
                label=str(label),
                name=display.severity_name(level),
                description=display.severity_description(level),
                checked=current == str(level),
            )
            for level, label in Severity.choices
        ]


def _text(
    label: StrOrPromise, *, required: bool = False, maxlength: int = TITLE_MAX, **kw: Any
) -> Any:
    attrs: dict[str, Any] = {"maxlength": maxlength, "autocomplete": "off"}
    if required:
        attrs["required"] = True
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs), **kw)


def _area(label: StrOrPromise, *, required: bool = False, rows: int = 3, **kw: Any) -> Any:
    attrs: dict[str, Any] = {"rows": rows, "maxlength": TEXT_MAX}
    if required:
        attrs["required"] = True
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs=attrs), **kw)


def _choice(label: StrOrPromise, choices: Any, **kw: Any) -> Any:
    # A CharField with a select: the service validates the value.
    return forms.CharField(label=label, required=False, widget=forms.Select(choices=choices), **kw)


def split_services(text: str) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


SERVICES_HELP = gettext_lazy("Separate names with commas, e.g. shop, payments.")
DETECTION_LABEL = gettext_lazy("How was it detected?")
DETECTION_HELP = gettext_lazy(
    "Monitoring gap: found some other way, when monitoring should have caught it."
)
# Blank first: a declaration that does not say records no detection.
DETECTION_CHOICES = [("", gettext_lazy("Not known yet")), *DetectionSource.choices]


# Privacy on declaring: left to the type (security incidents and privacy
# breaches are private) unless the declarer says.
PRIVACY_CHOICES = [
    ("", gettext_lazy("As the type says")),
    ("on", gettext_lazy("Private")),
    ("off", gettext_lazy("Not private")),
]
NOT_PRIVATE_WORDS = frozenset({"off", "false", "0", "no"})


def parse_privacy(value: object) -> bool | None:
    """None (the type decides), or what the declarer chose; "on" is also
    what a checkbox sends, so scripts posting `private=on` still work."""
    text = str(value or "").strip().lower()
    if not text:
        return None
    return text not in NOT_PRIVATE_WORDS


class DeclareForm(TypedFieldsMixin, SeverityChoiceMixin, HotwashForm):
    """One required field; everything else has a default, many of them
    from the type of incident."""

    id_prefix = "declare"

    title = _text(
        gettext_lazy("Title"),
        required=True,
        help_text=gettext_lazy("What is happening, in a few words: “Checkout fails”."),
    )
    type = forms.CharField(label=TYPE_LABEL, required=False)
    # No level chosen beforehand: left unchosen, the type's severity applies.
    severity = forms.CharField(
        label=gettext_lazy("Severity"),
        required=False,
        help_text=gettext_lazy(
            "Leave it unchosen to use the type's severity (or the usual default)."
        ),
    )
    detection_source = _choice(DETECTION_LABEL, DETECTION_CHOICES, help_text=DETECTION_HELP)
    private = forms.CharField(
        label=gettext_lazy("Private incident"),
        required=False,
        widget=forms.RadioSelect(choices=PRIVACY_CHOICES),
        help_text=gettext_lazy(
            "Only its participants and admins will see it. Use for security or personnel matters."
        ),
    )
    services = _text(gettext_lazy("Services affected"), maxlength=2000, help_text=SERVICES_HELP)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_type_fields()

    def declaration(self) -> dict[str, Any]:
        """Keyword arguments for `declare_incident`."""
        return {
            "title": self.value("title") or "",
            "severity": self.value("severity") or None,
            "detection_source": self.value("detection_source") or None,
            "private": parse_privacy(self.value("private")),
            "services": split_services(self.value("services") or ""),
            "type": self.chosen_type(),
            "fields": self.field_values(),
        }


class IncidentForm(SeverityChoiceMixin, HotwashForm):
    """Edit an incident's details. Every field keeps a hidden copy of the
    value the page showed, and only fields the person changed are sent to
    the service: someone else's change made since the page loaded (say, a
    new severity) is not silently undone by saving the summary."""

    id_prefix = "edit"

    title = _text(gettext_lazy("Title"), required=True)
    summary = _area(
        gettext_lazy("Summary"),
        help_text=gettext_lazy("What is known so far, for someone who just arrived."),
    )
    impact = _area(
        gettext_lazy("Impact statement"),
        help_text=gettext_lazy("Who is affected and how, e.g. “checkout fails for all users”."),
    )
    severity = forms.CharField(label=gettext_lazy("Severity"), required=False)
    detection_source = _choice(DETECTION_LABEL, DETECTION_CHOICES, help_text=DETECTION_HELP)
    private = forms.BooleanField(
        label=gettext_lazy("Private incident"),
        required=False,
        help_text=gettext_lazy("Only its participants and admins can see it."),
    )
    services = _text(gettext_lazy("Services affected"), maxlength=2000, help_text=SERVICES_HELP)
    impact_started_at = LocalDateTimeField(label=gettext_lazy("Impact started"), required=False)
    detected_at = LocalDateTimeField(label=gettext_lazy("Detected"), required=False)
    declared_at = LocalDateTimeField(label=gettext_lazy("Declared"), required=False)
    acknowledged_at = LocalDateTimeField(label=gettext_lazy("Acknowledged"), required=False)
    mitigated_at = LocalDateTimeField(label=gettext_lazy("Mitigated"), required=False)
    resolved_at = LocalDateTimeField(label=gettext_lazy("Resolved"), required=False)
    closed_at = LocalDateTimeField(label=gettext_lazy("Closed"), required=False)

    def __init__(self, *args: Any, incident: Incident, services: Sequence[str], **kw: Any) -> None:
        initial: dict[str, Any] = {
            "title": incident.title,
            "summary": incident.summary,
            "impact": incident.impact,
            "severity": str(incident.severity),
            "detection_source": incident.detection_source,
            "private": incident.private,
            "services": ", ".join(services),
        }
        initial.update({name: getattr(incident, name) for name in IMPACT_TIME_FIELDS})
        super().__init__(*args, initial=initial, **kw)
        for field in self.fields.values():
            field.show_hidden_initial = True

    @property
    def time_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in IMPACT_TIME_FIELDS]

    def changes(self) -> dict[str, Any]:
        """The fields the person changed, ready for `update_incident`."""
        changed: dict[str, Any] = {}
        for name in self.changed_data:
            value = self.cleaned_data.get(name)
            changed[name] = split_services(value or "") if name == "services" else value
        return changed

    def expected(self) -> dict[str, Any]:
        """The severity the page showed, when the person chose another: the
        change is refused if it moved meanwhile (`update_incident`'s
        `expected`). The hidden initial copy is what the page showed."""
        if "severity" not in self.changed_data:
            return {}
        return {"severity": self.data.get(self.add_initial_prefix("severity")) or None}


class StatusForm(HotwashForm):
    """The next status. The page also sends `expected_status`, the status it
    showed, so a choice made before someone else moved the incident is
    refused rather than moving it back."""

    id_prefix = "status"

    status = _choice(gettext_lazy("New status"), Status.choices)


class DetectionForm(HotwashForm):
    """The one question asked after a declaration that did not say how the
    problem was detected (`record_detection`)."""

    id_prefix = "detection"

    detection_source = forms.CharField(
        label=DETECTION_LABEL,
        required=False,  # the service says what is missing
        widget=forms.RadioSelect(choices=DetectionSource.choices),
        help_text=DETECTION_HELP,
    )


class EntryForm(HotwashForm):
    """A note or decision for the timeline, now or back-dated."""

    id_prefix = "entry"

    body = _area(gettext_lazy("What happened?"), required=True, rows=3)
    kind = forms.CharField(
        label=gettext_lazy("Kind"),
        required=False,
        widget=forms.RadioSelect(
            choices=[
                (TimelineKind.NOTE, TimelineKind.NOTE.label),
                (TimelineKind.DECISION, TimelineKind.DECISION.label),
            ]
        ),
        initial=TimelineKind.NOTE,
    )
    key_moment = forms.BooleanField(
        label=gettext_lazy("Key moment"),
        required=False,
        help_text=gettext_lazy("Shown in catch-up and used for the postmortem."),
    )
    occurred_at = LocalDateTimeField(label=gettext_lazy("Happened at"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].help_text = " ".join(
            [_("Leave empty if it is happening now."), zone_hint()]
        )


class EntryEditForm(HotwashForm):
    """Correct a note or decision; the service keeps the previous version."""

    id_prefix = "entryedit"

    body = _area(gettext_lazy("Text"), required=True, rows=4)
    key_moment = forms.BooleanField(label=gettext_lazy("Key moment"), required=False)
    occurred_at = LocalDateTimeField(label=gettext_lazy("Happened at"), required=False)

    def __init__(self, *args: Any, event: TimelineEvent, **kwargs: Any) -> None:
        initial = {
            "body": event.body,
            "key_moment": event.key_moment,
            "occurred_at": event.occurred_at,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["occurred_at"].help_text = zone_hint()
        for field in self.fields.values():
            field.show_hidden_initial = True

    def changes(self) -> dict[str, Any]:
        """Keyword arguments for `edit_timeline_event`: only what changed."""
        return {name: self.cleaned_data.get(name) for name in self.changed_data}


def _people_choices(people: People, empty: str) -> list[tuple[str, str]]:
    return [("", empty), *people]


class RoleForm(HotwashForm):
    """Give one role to someone (or hand it over). One form per role."""

    role = forms.CharField(widget=forms.HiddenInput, required=False)
    user = forms.CharField(required=False)

    def __init__(self, *args: Any, role: str, label: str, people: People, **kw: Any) -> None:
        self.id_prefix = f"role_{role}"
        super().__init__(*args, initial={"role": role}, **kw)
        self.fields["user"].label = label
        self.fields["user"].widget = PeopleSelect(
            choices=_people_choices(people, _("Choose a person")), attrs={"required": True}
        )


class TaskForm(HotwashForm):
    id_prefix = "task"

    title = _text(gettext_lazy("Task"), required=True)
    assignee = forms.CharField(label=gettext_lazy("Assignee (optional)"), required=False)

    def __init__(self, *args: Any, people: People, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].widget = PeopleSelect(
            choices=_people_choices(people, _("Nobody yet"))
        )


class ParticipantForm(HotwashForm):
    id_prefix = "participant"

    user = forms.CharField(label=gettext_lazy("Person"), required=False)

    def __init__(self, *args: Any, people: People, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].widget = PeopleSelect(
            choices=_people_choices(people, _("Choose a person")), attrs={"required": True}
        )


SORT_LABELS = {
    "-declared": gettext_lazy("Newest declared first"),
    "declared": gettext_lazy("Oldest declared first"),
    "severity": gettext_lazy("Most severe first"),
    "-updated": gettext_lazy("Recently updated first"),
}


class FilterForm(HotwashForm):
    """The incident list's filters. Rendering only: `IncidentFilters.parse`
    reads the query string and reports bad values, attached here."""

    id_prefix = "filter"

    q = forms.CharField(label=gettext_lazy("Title contains"), required=False)
    status = _choice(
        gettext_lazy("Status"),
        [
            ("", gettext_lazy("Any status")),
            ("open", gettext_lazy("Open (not resolved or closed)")),
            *Status.choices,
        ],
    )
    severity = forms.CharField(label=gettext_lazy("Severity"), required=False)
    service = forms.CharField(label=gettext_lazy("Service"), required=False)
    since = forms.CharField(
        label=gettext_lazy("Declared from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.CharField(
        label=gettext_lazy("Declared until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    type = forms.CharField(label=gettext_lazy("Type"), required=False)
    field = forms.CharField(
        label=gettext_lazy("Field value"),
        required=False,
        help_text=gettext_lazy("A field key and its value, e.g. people_affected:120."),
    )
    team = _choice(
        gettext_lazy("Team"),
        [],
        help_text=gettext_lazy("Incidents affecting a service the team owns."),
    )
    trigger = _choice(gettext_lazy("Opened by"), [])
    detection = _choice(
        gettext_lazy("Detected by"),
        [
            ("", gettext_lazy("Any detection source")),
            *DetectionSource.choices,
            (NONE, gettext_lazy("Not recorded")),
        ],
    )
    merged = _choice(
        gettext_lazy("Merged duplicates"),
        [
            ("", gettext_lazy("With merged duplicates")),
            ("no", gettext_lazy("Without merged duplicates")),
            ("yes", gettext_lazy("Only merged duplicates")),
        ],
    )
    sort = _choice(gettext_lazy("Sort"), list(SORT_LABELS.items()))

    def __init__(
        self,
        *args: Any,
        services: Sequence[str] = (),
        teams: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].widget.choices = [("", _("Any team")), *teams]
        self.fields["trigger"].widget.choices = [
            ("", _("Anyone or any trigger")),
            (NONE, _("A person (no trigger policy)")),
            *(
                (key, _("Trigger policy: %(trigger)s") % {"trigger": label})
                for key, label in trigger_choices()
            ),
        ]
        self.fields["type"].widget = forms.Select(
            choices=[("", _("Any type")), *custom_fields.type_choices()]
        )
        self.fields["severity"].widget = forms.Select(
            choices=[
                ("", _("Any severity")),
                *(
                    (str(level), f"{label} · {display.severity_name(level)}")
                    for level, label in Severity.choices
                ),
            ]
        )
        # Suggestions for the service box; any name can still be typed.
        self.fields["service"].widget = forms.TextInput(attrs={"list": "filter_service_names"})
        self.service_names = list(services)

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields if name != "sort")
