"""Importing postmortems from Markdown files (see markdown.py for the format).

Each file is one transaction: it is validated completely first (every
problem names the file and the line), then written with its audit record
and, for a postmortem of an incident here, an entry on the incident's
timeline. A file that fails imports nothing; the others still import.

Matching: a file is the same postmortem as one already here when it names
an incident of this installation (same number and, when the file gives it,
the same declaration time) that has a postmortem, or when its id
(PM-12) names a postmortem of the same kind and incident, or, for a file
without an id (hand-written) that names no incident here, when exactly one
postmortem of that kind has its title and its incident reference elsewhere
(none, for a retrospective). Otherwise a new
one is created, keeping the file's id when that number is free (so a fresh
installation keeps the references), and, for an incident that does not
exist here, the incident's reference, header values and facts as text.

A file without front matter, or whose front matter has no `kind`, was
written elsewhere: plain.py works out what it leaves unsaid (title, kind,
template, language, where each heading's text goes) and the result says
what was assumed. Importing it again updates the same postmortem (the same
kind, title and incident reference, when exactly one has them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from django.contrib.auth.models import User
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from hotwash.core.audit import record_audit
from hotwash.core.errors import DomainError, InvalidInput
from hotwash.core.refs import ref_number
from hotwash.incidents.models import REF_PREFIX as INCIDENT_PREFIX
from hotwash.incidents.models import Incident, Service, TimelineKind, severity_level
from hotwash.incidents.services import Actor, clean_services, record_system_event
from hotwash.postmortems import markdown, plain
from hotwash.postmortems.factors import clean_factors, factors_of, replace_factors
from hotwash.postmortems.markdown import INCIDENT_TIMES, MarkdownError, ParsedFile
from hotwash.postmortems.models import REF_PREFIX, Kind, Postmortem, Section, Status
from hotwash.postmortems.outlines import get_outline, outline_for_kind
from hotwash.postmortems.services import (
    check_can_see_incident,
    clean_date,
    clean_kind,
    clean_language,
    clean_tags,
    clean_template,
    clean_title,
)

EXTERNAL_MAX = 50
_T = TypeVar("_T")


@dataclass
class ImportResult:
    path: str
    postmortem: Postmortem | None = None
    created: bool = False
    error: MarkdownError | None = None
    # What was assumed about a file written elsewhere (plain.py), one
    # sentence each; empty for a file in Hotwash's own format.
    assumed: list[str] = field(default_factory=list)


@dataclass
class ImportSession:
    """One run of the importer: files of the same postmortem (its language
    versions) land on the same postmortem even when their id was taken."""

    actor: Actor = None
    seen: dict[str, int] = field(default_factory=dict)


# --- validation -----------------------------------------------------------------


class _Problem(ValueError):
    """What is wrong with the front matter, and the key whose line shows it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def _cleaned(key: str, clean: Callable[..., _T], *args: Any) -> _T:
    """A services.clean_* function's result; its refusal as a _Problem."""
    try:
        return clean(*args)
    except DomainError as exc:
        raise _Problem(key, exc.message) from None


def _absent(value: Any) -> bool:
    return value is None or value == ""


def _single(key: str, value: Any) -> str | None:
    """A value written once (not a list or a mapping), as text; None when absent."""
    if _absent(value):
        return None
    if isinstance(value, (dict, list)):
        raise _Problem(key, _("%(key)s must be a single value.") % {"key": key})
    return str(value).strip()


def _moment(key: str, value: Any) -> datetime | None:
    """A time as YAML gives it (a date, a date and time, or text), in UTC;
    without a time zone, UTC is meant."""
    if _absent(value):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise _Problem(
                key,
                _("%(key)s: %(value)s is not a date and time; use 2026-11-25 10:00:00+00:00.")
                % {"key": key, "value": value},
            ) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _names(value: Any) -> Any:
    # "authors: amira, sam" is a list too.
    if isinstance(value, str):
        return [part for part in re.split(r"[,\s]+", value) if part]
    return [] if value is None else value


# Shapes, as pydantic's strict types (an empty value counts as none): a
# value of another shape is a "bool_type", "list_type" or "dict_type" error,
# reported by _type_problem.
Flag = Annotated[bool, Strict(), BeforeValidator(lambda value: False if _absent(value) else value)]
Names = Annotated[
    list[Any],
    Strict(),
    BeforeValidator(_names),
    AfterValidator(lambda items: [str(item).strip() for item in items if str(item).strip()]),
]
Mapping = Annotated[
    dict[Any, Any],
    Strict(),
    BeforeValidator(lambda value: {} if _absent(value) else value),
    AfterValidator(lambda value: {str(name): item for name, item in value.items()}),
]
Moment = Annotated[
    datetime | None, BeforeValidator(lambda value, info: _moment(info.field_name, value))
]


def _type_problem(error: ErrorDetails) -> _Problem:
    """A value of the wrong shape, said in the person's language."""
    key = str(error["loc"][0])
    message = {
        "bool_type": _("%(key)s must be true or false."),
        "list_type": _("%(key)s must be a list."),
        "dict_type": _("%(key)s must be a list of “name: value” lines."),
    }.get(error["type"])
    return _Problem(key, message % {"key": key} if message else error["msg"])


class Header(BaseModel):
    """The front matter, validated. Fields are checked in this order, each
    may use those before it, and the first problem is reported on the line
    of its key. `period` and `incident_times` are read twice, their shape
    first and their values later; `incident` twice, as written and as the
    incident of this installation it names, if any. Times are in UTC."""

    model_config = ConfigDict(extra="ignore", validate_default=True, arbitrary_types_allowed=True)

    title: str = ""
    number: int | None = Field(None, validation_alias="id")
    incident_ref: str | None = Field(None, validation_alias="incident")
    kind: str = ""
    template: str = ""
    severity: int | None = None
    status: str = ""
    times: Mapping = Field({}, validation_alias="incident_times")
    incident: Incident | None = None
    period: Mapping = {}
    language: str = ""
    original_language: str = ""
    owners: Names = Field([], validation_alias="owner")
    services: Names = []
    period_start: date | None = Field(None, validation_alias="period")
    period_end: date | None = Field(None, validation_alias="period")
    public: Flag = False
    required: Flag = False
    authors: Names = []
    created: Moment = None
    due: date | None = None
    approved: Moment = None
    published: Moment = None
    incident_times: dict[str, datetime | None] = {}
    tags: list[str] = []
    # Contributing factors as written (keys and free tags); cleaned again in
    # _write, where the postmortem's own keys are known.
    factors: list[str] = []

    @property
    def owner(self) -> str | None:
        return self.owners[0] if self.owners else None

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        if not _single("title", value):
            raise _Problem("title", _("The front matter has no title."))
        return _cleaned("title", clean_title, value)

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, value: Any) -> int | None:
        if not (text := _single("id", value)):
            return None
        if (number := ref_number(text, REF_PREFIX)) is None:
            raise _Problem(
                "id", _("%(value)s is not a postmortem reference; use PM-12.") % {"value": text}
            )
        return number

    @field_validator("incident_ref", mode="before")
    @classmethod
    def _incident_ref(cls, value: Any) -> str | None:
        """INC-12 for an incident's number; another installation's own
        reference as written."""
        text = _single("incident", value)
        if text is None:
            return None
        if len(text) > EXTERNAL_MAX:
            raise _Problem("incident", _("The incident reference is too long."))
        number = ref_number(text, INCIDENT_PREFIX)
        return f"{INCIDENT_PREFIX}{number}" if number is not None else text

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any, info: ValidationInfo) -> str:
        incident_ref = info.data.get("incident_ref")
        raw = _single("kind", value) or ("incident" if incident_ref else None)
        if raw is None:
            raise _Problem(
                "kind", _("The front matter has no kind: use incident, success or project.")
            )
        kind = _cleaned("kind", clean_kind, raw)
        if kind == Kind.INCIDENT and incident_ref is None:
            raise _Problem("incident", _("A postmortem of kind incident needs an incident."))
        if kind != Kind.INCIDENT and incident_ref is not None:
            raise _Problem("incident", _("Only a postmortem of kind incident has an incident."))
        return kind

    @field_validator("template", mode="before")
    @classmethod
    def _template(cls, value: Any, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is None:  # the kind's own problem is reported
            return ""
        if _single("template", value):
            return _cleaned("template", clean_template, value, kind)
        return outline_for_kind(kind).key

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value: Any, info: ValidationInfo) -> int | None:
        text = _single("severity", value)
        if text is None:
            return None
        level = severity_level(text)
        if level is None or info.data.get("kind") != Kind.INCIDENT:
            raise _Problem(
                "severity",
                _("Unknown severity %(value)s: use SEV1, SEV2, SEV3 or SEV4 (incidents only).")
                % {"value": text},
            )
        return level

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str:
        status = _single("status", value) or Status.DRAFT
        if status not in Status.values:
            raise _Problem(
                "status",
                _("Unknown status %(value)s: use %(known)s.")
                % {"value": status, "known": ", ".join(Status.values)},
            )
        return status

    @field_validator("times")
    @classmethod
    def _times(cls, times: dict[str, Any]) -> dict[str, Any]:
        if unknown := sorted(set(times) - set(INCIDENT_TIMES)):
            raise _Problem(
                "incident_times",
                _("Unknown incident time %(value)s: use %(known)s.")
                % {"value": unknown[0], "known": ", ".join(INCIDENT_TIMES)},
            )
        _moment("incident_times", times.get("declared"))  # read by _incident
        return times

    @field_validator("incident", mode="before")
    @classmethod
    def _incident(cls, _value: Any, info: ValidationInfo) -> Incident | None:
        ref = info.data.get("incident_ref")
        number = ref_number(ref, INCIDENT_PREFIX) if ref else None
        incident = Incident.objects.filter(pk=number).first() if number is not None else None
        declared = _moment("incident_times", info.data.get("times", {}).get("declared"))
        if incident is not None and declared is not None:
            # The same number, declared at another time: another
            # installation's incident, not this one.
            return incident if _same_moment(incident.declared_at, declared) else None
        return incident

    @field_validator("language", "original_language", mode="before")
    @classmethod
    def _language(cls, value: Any, info: ValidationInfo) -> str:
        key = str(info.field_name)
        return _cleaned(key, clean_language, value, key) if _single(key, value) else ""

    @field_validator("services")
    @classmethod
    def _services(cls, names: list[str]) -> list[str]:
        return _cleaned("services", clean_services, names)

    @field_validator("period_start", "period_end", mode="before")
    @classmethod
    def _period(cls, _value: Any, info: ValidationInfo) -> date | None:
        end = info.field_name == "period_end"
        written = info.data.get("period", {}).get("end" if end else "start")
        day = _cleaned("period", clean_date, written, "period")
        start = info.data.get("period_start")
        if end and start and day and day < start:
            raise _Problem("period", _("The period ends before it starts."))
        return day

    @field_validator("public")
    @classmethod
    def _public(cls, public: bool, info: ValidationInfo) -> bool:
        incident = info.data.get("incident")
        if public and incident is not None and incident.private:
            raise _Problem("public", _("A postmortem of a private incident cannot be made public."))
        return public

    @field_validator("due", mode="before")
    @classmethod
    def _due(cls, value: Any) -> date | None:
        return _cleaned("due", clean_date, value, "due")

    @field_validator("incident_times", mode="before")
    @classmethod
    def _incident_times(cls, _value: Any, info: ValidationInfo) -> dict[str, datetime | None]:
        times = info.data.get("times", {})
        return {key: _moment("incident_times", times.get(key)) for key in INCIDENT_TIMES}

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> list[str]:
        return _cleaned("tags", clean_tags, value)

    @field_validator("factors", mode="before")
    @classmethod
    def _factors(cls, value: Any) -> list[str]:
        return [factor.value for factor in _cleaned("factors", clean_factors, value)]

    @model_validator(mode="after")
    def _languages(self) -> Header:
        # Either language stands for the other when only one is given.
        self.language = self.language or self.original_language or "en"
        self.original_language = self.original_language or self.language
        return self


def _same_moment(stored: datetime, written: datetime) -> bool:
    return stored.astimezone(UTC).replace(microsecond=0) == written


def validate_header(parsed: ParsedFile) -> Header:
    try:
        return Header.model_validate(parsed.front)
    except ValidationError as exc:
        error = exc.errors()[0]
        problem = error.get("ctx", {}).get("error")
        if not isinstance(problem, _Problem):
            problem = _type_problem(error)
        raise parsed.error(problem.key, problem.message) from None


def _front_matter_keys() -> frozenset[str]:
    """The keys a file's front matter may use."""
    return frozenset(
        str(info.validation_alias or name) for name, info in Header.model_fields.items()
    )


def read(path: str, data: bytes) -> tuple[ParsedFile, Header, list[str]]:
    """Parse and validate one file completely, before anything is written;
    also what was assumed about a file written elsewhere."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MarkdownError(path, line, _("The file is not UTF-8 text.")) from None
    parsed = markdown.parse(path, text)
    front = parsed.front
    if parsed.has_front_matter and not (
        _absent(front.get("kind")) and _absent(front.get("incident"))
    ):
        # Hotwash's own format (an incident named is enough: its kind goes without saying).
        header = validate_header(parsed)
        markdown.split_body(parsed, get_outline(header.template), header.language)
        assumed = []
        if _absent(front.get("kind")):
            assumed.append(plain.kind_from_incident(header.kind, header.incident_ref or ""))
        return parsed, header, assumed
    reading = plain.read_foreign(parsed, used_keys=_front_matter_keys())
    header = validate_header(parsed)
    if reading.reference is not None:
        header.incident = None  # made up from the file's name: no incident here
    return parsed, header, reading.report


# --- writing --------------------------------------------------------------------


def _match(header: Header, session: ImportSession) -> Postmortem | None:
    key = f"{header.incident_ref or ''}/{header.number or ''}/{header.title}"
    if header.number is not None and key in session.seen:
        return Postmortem.objects.filter(pk=session.seen[key]).first()
    if header.incident is not None:
        found = Postmortem.objects.filter(incident=header.incident).first()
        if found is not None:
            return found
    if header.number is not None:
        found = Postmortem.objects.filter(pk=header.number, kind=header.kind).first()
        if found is not None and _same_incident(found, header):
            return found
        return None
    if header.incident is None:
        # A hand-written file without an id: the one postmortem of that
        # kind, title and incident reference elsewhere (none for a
        # retrospective), so that importing it again updates it.
        same = list(
            Postmortem.objects.filter(
                kind=header.kind,
                title=header.title,
                incident=None,
                external_incident=header.incident_ref or "",
            )[:2]
        )
        if len(same) == 1:
            return same[0]
    return None


def _same_incident(postmortem: Postmortem, header: Header) -> bool:
    if header.incident is not None:
        return postmortem.incident_id == header.incident.pk
    if postmortem.incident_id is not None:
        return False
    return (postmortem.external_incident or None) == header.incident_ref


def _users(names: Iterable[str]) -> tuple[list[User], list[str]]:
    names = list(names)
    found = {user.username: user for user in User.objects.filter(username__in=names)}
    return [found[name] for name in names if name in found], sorted(
        {name for name in names if name not in found}
    )


def _check_people(
    parsed: ParsedFile,
    header: Header,
    postmortem: Postmortem | None,
    owners: list[User],
    authors: list[User],
) -> None:
    """As on the pages and in the API: nobody who cannot see a private
    incident becomes its postmortem's owner or an author (those who already
    are stay)."""
    owner_id = postmortem.owner_id if postmortem is not None else None
    current = set(postmortem.authors.values_list("pk", flat=True)) if postmortem else set()
    newcomers = {
        "owner": [user for user in owners if user.pk != owner_id],
        "authors": [user for user in authors if user.pk not in current],
    }
    for key, people in newcomers.items():
        try:
            check_can_see_incident(header.incident, people, key)
        except InvalidInput as exc:
            raise parsed.error(key, exc.message) from None


def _imported_header(
    header: Header, unknown_owner: str | None, unknown: list[str]
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if header.incident is None and header.kind == Kind.INCIDENT:
        if header.severity:
            data["severity"] = header.severity
        times = {key: value.isoformat() for key, value in header.incident_times.items() if value}
        if times:
            data["incident_times"] = times
    if unknown_owner:
        data["owner"] = unknown_owner
    if unknown:
        data["authors"] = unknown
    return data


def _write(parsed: ParsedFile, header: Header, session: ImportSession) -> tuple[Postmortem, bool]:
    now = timezone.now()
    owners, unknown_owner = _users([header.owner] if header.owner else [])
    authors, unknown_authors = _users(header.authors)
    if header.incident is not None:
        # Locked first and read again, as every postmortem change does
        # (services._lock_incident): its privacy, checked here, holds until
        # the commit.
        header.incident = Incident.objects.select_for_update().get(pk=header.incident.pk)
        if header.public and header.incident.private:
            raise parsed.error(
                "public", _("A postmortem of a private incident cannot be made public.")
            )
    postmortem = _match(header, session)
    _check_people(parsed, header, postmortem, owners, authors)
    created = postmortem is None
    if postmortem is None:
        free = (
            header.number is not None and not Postmortem.objects.filter(pk=header.number).exists()
        )
        postmortem = Postmortem(pk=header.number if free else None, created_at=now)
    values: dict[str, Any] = {
        "incident": header.incident,
        "external_incident": "" if header.incident else (header.incident_ref or ""),
        "kind": header.kind,
        "template": header.template,
        "title": header.title,
        "status": header.status,
        "required": header.required,
        "public": header.public,
        "owner": owners[0] if owners else None,
        "due_on": header.due,
        "original_language": header.original_language,
        "tags": header.tags,
        "period_start": header.period_start,
        "period_end": header.period_end,
        "created_at": header.created or postmortem.created_at,
        "approved_at": header.approved,
        "published_at": header.published,
        "updated_at": now,
        "imported_header": _imported_header(
            header, unknown_owner[0] if unknown_owner else None, unknown_authors
        ),
    }
    for name, value in values.items():
        setattr(postmortem, name, value)
    live = _live_facts(postmortem, header)
    stored = dict(postmortem.imported_facts or {}) if not created else {}
    facts = dict(stored.get(header.language) or {})
    for name, text in parsed.facts.items():
        if name in live:
            facts.pop(name, None)
        else:
            facts[name] = text
    for name in live:
        facts.pop(name, None)
    stored[header.language] = facts
    postmortem.imported_facts = {lang: blocks for lang, blocks in stored.items() if blocks}
    postmortem.save()
    if created and header.number is not None and postmortem.pk == header.number:
        _reset_sequence()
    postmortem.authors.set(authors)
    if header.incident is None:
        existing = {s.name: s for s in Service.objects.filter(name__in=header.services)}
        postmortem.services.set(
            [existing.get(name) or Service.objects.create(name=name) for name in header.services]
        )
    # The file is the whole list: a file without `factors` has none.
    kept = [] if created else [factor.key for factor in factors_of(postmortem) if factor.key]
    replace_factors(postmortem, clean_factors(header.factors, keep=kept))
    _write_sections(postmortem, parsed, header, session.actor, now)
    return postmortem, created


def _live_facts(postmortem: Postmortem, header: Header) -> set[str]:
    """The facts blocks this installation generates itself for the postmortem."""
    live: set[str] = set()
    if header.incident is not None:
        live |= {markdown.HEADER_FACTS, "timeline"}
    if postmortem.pk is not None and markdown.action_items(postmortem) is not None:
        live.add("action_items")
    return live


def _write_sections(
    postmortem: Postmortem, parsed: ParsedFile, header: Header, actor: Actor, now: datetime
) -> None:
    person = actor if isinstance(actor, User) else None
    outline = get_outline(header.template)
    current = {
        section.key: section
        for section in Section.objects.filter(postmortem=postmortem, language=header.language)
    }
    for outline_section in outline.sections:
        body = parsed.sections.get(outline_section.key, "")
        section = current.get(outline_section.key)
        if section is None:
            if body:
                Section.objects.create(
                    postmortem=postmortem,
                    key=outline_section.key,
                    language=header.language,
                    body=body,
                    updated_at=now,
                    updated_by=person,
                )
        elif section.body != body:
            # A new version, so an editor open on the old one sees a conflict.
            Section.objects.filter(pk=section.pk).update(
                body=body, version=section.version + 1, updated_at=now, updated_by=person
            )


def _reset_sequence() -> None:
    """After inserting a chosen id, make the database's own numbering start
    above it (PostgreSQL sequences do not move by themselves)."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Postmortem])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def import_file(path: str, data: bytes, session: ImportSession | None = None) -> ImportResult:
    """Import one file in one transaction; a problem is returned, not raised,
    and leaves the database as it was."""
    session = session or ImportSession()
    result = ImportResult(path=path)
    try:
        parsed, header, result.assumed = read(path, data)
        with transaction.atomic():
            postmortem, created = _write(parsed, header, session)
            record_audit(
                actor=session.actor,
                action="postmortem.imported",
                obj=postmortem,
                changes={"file": Path(path).name, "language": header.language, "created": created},
            )
            if postmortem.incident is not None:
                record_system_event(
                    postmortem.incident,
                    kind=TimelineKind.POSTMORTEM,
                    actor=session.actor,
                    data={
                        "event": "imported",
                        "postmortem": postmortem.pk,
                        "title": postmortem.title,
                    },
                    body=_("Postmortem imported from Markdown."),
                )
    except MarkdownError as exc:
        result.error = exc
        return result
    except DatabaseError as exc:
        result.error = MarkdownError(
            path, 1, _("The database refused this file: %(reason)s") % {"reason": exc}
        )
        return result
    key = f"{header.incident_ref or ''}/{header.number or ''}/{header.title}"
    session.seen[key] = postmortem.pk
    result.postmortem, result.created = postmortem, created
    return result


def markdown_files(path: Path) -> list[Path]:
    """The file itself, or every .md file in the folder and below, sorted."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*.md") if p.is_file())
    return [path]


def import_paths(paths: Iterable[Path], *, actor: Actor = None) -> Iterator[ImportResult]:
    session = ImportSession(actor=actor)
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            yield ImportResult(
                path=str(path),
                error=MarkdownError(
                    str(path), 1, _("Cannot read the file: %(reason)s") % {"reason": exc.strerror}
                ),
            )
            continue
        yield import_file(str(path), data, session)
