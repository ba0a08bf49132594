"""Web forms for postmortems and retrospectives.

As for incidents, forms only parse what the browser sent and carry the
constraints as HTML attributes; the service functions validate and decide,
and their DomainError is attached back to the field it names.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotwash.core.forms import HotwashForm, People, PeopleSelect
from hotwash.incidents.forms import SERVICES_HELP, split_services
from hotwash.postmortems.models import Kind, Language, ReviewDecision, Status
from hotwash.postmortems.outlines import Outline, load_outlines
from hotwash.postmortems.services import COMMENT_MAX, SECTION_MAX, TITLE_MAX

OVERDUE_HELP = gettext_lazy("Required postmortems past their due date, not yet approved.")


def _text(label: Any, *, required: bool = False, maxlength: int = TITLE_MAX, **kw: Any) -> Any:
    attrs: dict[str, Any] = {"maxlength": maxlength, "autocomplete": "off"}
    if required:
        attrs["required"] = True
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs), **kw)


def _choice(label: Any, choices: Any, **kw: Any) -> Any:
    return forms.CharField(label=label, required=False, widget=forms.Select(choices=choices), **kw)


def _date(label: Any, **kw: Any) -> Any:
    return forms.CharField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}), **kw
    )


def outline_choices(kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """Templates suited to any of `kinds`, named in the reader's language."""
    return [
        (key, outline.name.get())
        for key, outline in sorted(load_outlines().items())
        if set(outline.kinds) & set(kinds)
    ]


def split_words(text: str) -> list[str]:
    return [word for word in (text or "").replace(",", " ").split() if word]


class FilterForm(HotwashForm):
    """The list's filters; values that match nothing simply find nothing."""

    id_prefix = "filter"

    status = _choice(gettext_lazy("Status"), [("", gettext_lazy("Any status")), *Status.choices])
    kind = _choice(gettext_lazy("Kind"), [("", gettext_lazy("Any kind")), *Kind.choices])
    owner = forms.CharField(label=gettext_lazy("Owner"), required=False)
    overdue = forms.BooleanField(
        label=gettext_lazy("Overdue only"), required=False, help_text=OVERDUE_HELP
    )
    mine = forms.BooleanField(
        label=gettext_lazy("Mine only"),
        required=False,
        help_text=gettext_lazy("Ones you own or help write."),
    )

    def __init__(self, *args: Any, people: People = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].widget = PeopleSelect(choices=[("", _("Anyone")), *people])

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


class RetrospectiveForm(HotwashForm):
    """A retrospective without an incident: a success, or a project."""

    id_prefix = "retro"

    kind = _choice(
        gettext_lazy("What are you looking back on?"),
        [(Kind.SUCCESS, Kind.SUCCESS.label), (Kind.PROJECT, Kind.PROJECT.label)],
    )
    title = _text(
        gettext_lazy("Title"),
        required=True,
        help_text=gettext_lazy("For example: “The data centre move” or “Black Friday 2026”."),
    )
    template = forms.CharField(label=gettext_lazy("Template"), required=False)
    owner = forms.CharField(label=gettext_lazy("Owner"), required=False)
    services = _text(gettext_lazy("Services"), maxlength=2000, help_text=SERVICES_HELP)
    period_start = _date(gettext_lazy("Period from"))
    period_end = _date(gettext_lazy("Period until"))
    language = _choice(gettext_lazy("Written first in"), Language.choices)

    def __init__(self, *args: Any, people: People = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].widget = forms.Select(
            choices=[
                ("", _("The usual one for this kind")),
                *outline_choices((Kind.SUCCESS, Kind.PROJECT)),
            ]
        )
        self.fields["owner"].widget = PeopleSelect(choices=[("", _("Me")), *people])

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments for `create_retrospective`."""
        return {
            "kind": self.value("kind") or Kind.SUCCESS,
            "title": self.value("title") or "",
            "template": self.value("template") or None,
            "owner": self.value("owner") or None,
            "services": split_services(self.value("services") or ""),
            "period_start": self.value("period_start") or None,
            "period_end": self.value("period_end") or None,
            "language": self.value("language") or None,
        }


class StartForm(HotwashForm):
    """The postmortem of one incident, started on request."""

    id_prefix = "start"

    incident = forms.CharField(widget=forms.HiddenInput, required=False)
    template = forms.CharField(label=gettext_lazy("Template"), required=False)
    language = _choice(gettext_lazy("Written first in"), Language.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].widget = forms.Select(
            choices=[
                ("", _("The one policy asks for (by severity)")),
                *outline_choices((Kind.INCIDENT,)),
            ]
        )


class HeaderForm(HotwashForm):
    """Title, owner, due date, tags, authors, language, and the public flag
    (offered only to withdraw a postmortem shared publicly: `withdrawable`)."""

    id_prefix = "header"

    title = _text(gettext_lazy("Title"), required=True)
    owner = forms.CharField(label=gettext_lazy("Owner"), required=False)
    due_on = _date(gettext_lazy("Due"))
    tags = _text(
        gettext_lazy("Tags"),
        maxlength=2000,
        help_text=gettext_lazy("Separate tags with commas, e.g. database, capacity."),
    )
    authors = _text(
        gettext_lazy("Authors"),
        maxlength=2000,
        help_text=gettext_lazy(
            "Usernames of the people writing it with the owner, separated by commas."
        ),
    )
    original_language = _choice(gettext_lazy("Original language"), Language.choices)
    # Offered only to withdraw: sharing publicly goes through the public
    # version the author reviews and confirms (hotwash.sharing).
    public = forms.BooleanField(
        label=gettext_lazy("Shared publicly (untick to withdraw)"),
        required=False,
        help_text=gettext_lazy(
            "Unticking takes the public page down. Sharing it again goes through its "
            "public version."
        ),
    )

    def __init__(
        self, *args: Any, people: People = (), withdrawable: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].widget = PeopleSelect(choices=[("", _("Nobody")), *people])
        if not withdrawable:
            # Not shared now: the page links to the public version instead. A
            # "public" sent anyway still reaches the service, which refuses it.
            del self.fields["public"]

    def changes(self) -> dict[str, Any]:
        """The fields whose value differs from the initial one."""
        values = {
            "title": self.value("title") or "",
            "owner": self.value("owner") or None,
            "due_on": self.value("due_on") or None,
            "tags": [t.strip() for t in (self.value("tags") or "").split(",") if t.strip()],
            "authors": split_words(self.value("authors") or ""),
            "original_language": self.value("original_language") or "",
            "public": bool(self.value("public")),
        }
        initial = {
            **self.initial,
            "tags": [t.strip() for t in str(self.initial.get("tags", "")).split(",") if t.strip()],
            "authors": split_words(str(self.initial.get("authors", ""))),
        }
        return {
            name: value
            for name, value in values.items()
            if (initial.get(name) or None) != (value or None)
        }


class SectionForm(HotwashForm):
    """One section's text in one language, with the version it started from."""

    body = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": SECTION_MAX, "spellcheck": "true"}),
    )
    base_version = forms.CharField(widget=forms.HiddenInput, required=False)
    language = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, key: str, label: str, help_text: str = "", **kw: Any) -> None:
        self.id_prefix = f"section_{key}"
        super().__init__(*args, **kw)
        self.fields["body"].label = label
        self.fields["body"].help_text = help_text


class ReviewersForm(HotwashForm):
    """Add one named reviewer (removing is a button per reviewer)."""

    id_prefix = "reviewers"

    add = forms.CharField(label=gettext_lazy("Add a reviewer"), required=False)

    def __init__(self, *args: Any, people: People = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["add"].widget = PeopleSelect(
            choices=[("", _("Choose a person")), *people], attrs={"required": True}
        )


class DecisionForm(HotwashForm):
    id_prefix = "decision"

    decision = forms.ChoiceField(
        label=gettext_lazy("Your decision"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (ReviewDecision.APPROVED, gettext_lazy("Approve")),
            (ReviewDecision.CHANGES_REQUESTED, gettext_lazy("Request changes")),
        ],
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        help_text=gettext_lazy("Required when you request changes: say which."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX}),
    )


class CommentForm(HotwashForm):
    id_prefix = "comment"

    section = forms.CharField(label=gettext_lazy("About"), required=False)
    body = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX, "required": True}),
    )

    def __init__(self, *args: Any, outline: Outline, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].widget = forms.Select(
            choices=[
                ("", _("The postmortem as a whole")),
                *((s.key, s.title.get(language)) for s in outline.sections),
            ]
        )


class FactorsForm(HotwashForm):
    """A postmortem's contributing factors: the taxonomy's, ticked (the
    page draws the boxes itself, each with its description), and free tags
    for what the taxonomy does not name."""

    id_prefix = "factors"

    factors = forms.MultipleChoiceField(
        label=gettext_lazy("Factors from the organisation's list"), required=False
    )
    other = _text(
        gettext_lazy("Other factors"),
        maxlength=2000,
        help_text=gettext_lazy(
            "Free tags for what the list does not name, separated by commas, e.g. vendor quirk."
        ),
    )

    def __init__(self, *args: Any, keys: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["factors"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(key, key) for key in keys]

    def words(self) -> list[str]:
        """The ticked keys, then the free tags, as `set_factors` reads them."""
        data = self.data
        ticked = (
            [str(key) for key in data.getlist("factors")] if isinstance(data, QueryDict) else []
        )
        other = str(self.data.get("other") or "")
        return [*ticked, *(word.strip() for word in other.split(",") if word.strip())]
