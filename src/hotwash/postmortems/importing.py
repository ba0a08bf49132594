"""Importing postmortems from Markdown files (see markdown.py for the format).

Each file is one transaction: it is validated completely first (every
problem names the file and the line), then written with its audit record
and, for a postmortem of an incident here, an entry on the incident's
timeline. A file that fails imports nothing; the others still import.

Matching: a file is the same postmortem as one already here when it names
an incident of this installation (same number and, when the file gives it,
the same declaration time) that has a postmortem, or when its id
(PM-12) names a postmortem of the same kind and incident, or, for a
retrospective without an id (hand-written), when exactly one retrospective
of that kind has its title. Otherwise a new
one is created, keeping the file's id when that number is free (so a fresh
installation keeps the references), and, for an incident that does not
exist here, the incident's reference, header values and facts as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotwash.core.audit import record_audit
from hotwash.core.errors import DomainError, InvalidInput
from hotwash.core.refs import ref_number
from hotwash.incidents.models import REF_PREFIX as INCIDENT_PREFIX
from hotwash.incidents.models import Incident, Service, TimelineKind, severity_level
from hotwash.incidents.services import Actor, clean_services, record_system_event
from hotwash.postmortems import markdown
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


@dataclass
class Header:
    """The front matter, validated."""

    title: str
    number: int | None
    incident_ref: str | None
    incident: Incident | None
    kind: str
    template: str
    severity: int | None
    status: str
    required: bool
    public: bool
    owner: str | None
    authors: list[str]
    created: datetime | None
    due: date | None
    approved: datetime | None
    published: datetime | None
    incident_times: dict[str, datetime | None]
    tags: list[str]
    language: str
    original_language: str
    services: list[str]
    period_start: date | None
    period_end: date | None


@dataclass
class ImportResult:
    path: str
    postmortem: Postmortem | None = None
    created: bool = False
    error: MarkdownError | None = None


@dataclass
class ImportSession:
    """One run of the importer: files of the same postmortem (its language
    versions) land on the same postmortem even when their id was taken."""

    actor: Actor = None
    seen: dict[str, int] = field(default_factory=dict)


# --- validation -----------------------------------------------------------------


def _checked(parsed: ParsedFile, key: str, check: Any, *args: Any) -> Any:
    value = parsed.front.get(key)
    try:
        return check(value, *args)
    except DomainError as exc:
        raise parsed.error(key, exc.message) from None


def _text(parsed: ParsedFile, key: str) -> str | None:
    value = parsed.front.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, (dict, list)):
        raise parsed.error(key, _("%(key)s must be a single value.") % {"key": key})
    return str(value).strip()


def _bool(parsed: ParsedFile, key: str) -> bool:
    value = parsed.front.get(key)
    if value in (None, ""):
        return False
    if not isinstance(value, bool):
        raise parsed.error(key, _("%(key)s must be true or false.") % {"key": key})
    return value


def _moment(parsed: ParsedFile, key: str, value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise parsed.error(
                key,
                _("%(key)s: %(value)s is not a date and time; use 2026-11-25 10:00:00+00:00.")
                % {"key": key, "value": value},
            ) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _names(parsed: ParsedFile, key: str) -> list[str]:
    value = parsed.front.get(key)
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [part for part in re.split(r"[,\s]+", value) if part]
    if not isinstance(value, list):
        raise parsed.error(key, _("%(key)s must be a list.") % {"key": key})
    return [str(item).strip() for item in value if str(item).strip()]


def _mapping(parsed: ParsedFile, key: str) -> dict[str, Any]:
    value = parsed.front.get(key)
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise parsed.error(key, _("%(key)s must be a list of “name: value” lines.") % {"key": key})
    return {str(name): item for name, item in value.items()}


def _same_moment(stored: datetime, written: datetime) -> bool:
    return stored.astimezone(UTC).replace(microsecond=0) == written


def validate_header(parsed: ParsedFile) -> Header:
    if not _text(parsed, "title"):
        raise parsed.error("title", _("The front matter has no title."))
    title = _checked(parsed, "title", clean_title)
    number = None
    if raw_id := _text(parsed, "id"):
        number = ref_number(raw_id, REF_PREFIX)
        if number is None:
            raise parsed.error(
                "id", _("%(value)s is not a postmortem reference; use PM-12.") % {"value": raw_id}
            )
    incident_ref = _text(parsed, "incident")
    incident = None
    if incident_ref is not None:
        if len(incident_ref) > EXTERNAL_MAX:
            raise parsed.error("incident", _("The incident reference is too long."))
        incident_number = ref_number(incident_ref, INCIDENT_PREFIX)
        if incident_number is not None:
            incident_ref = f"{INCIDENT_PREFIX}{incident_number}"
            incident = Incident.objects.filter(pk=incident_number).first()
    raw_kind = _text(parsed, "kind") or ("incident" if incident_ref else None)
    if raw_kind is None:
        raise parsed.error(
            "kind", _("The front matter has no kind: use incident, success or project.")
        )
    try:
        kind = clean_kind(raw_kind)
    except DomainError as exc:
        raise parsed.error("kind", exc.message) from None
    if kind == Kind.INCIDENT and incident_ref is None:
        raise parsed.error("incident", _("A postmortem of kind incident needs an incident."))
    if kind != Kind.INCIDENT and incident_ref is not None:
        raise parsed.error("incident", _("Only a postmortem of kind incident has an incident."))
    template = (
        _checked(parsed, "template", clean_template, kind)
        if _text(parsed, "template")
        else outline_for_kind(kind).key
    )
    severity = None
    if (raw_severity := _text(parsed, "severity")) is not None:
        severity = severity_level(raw_severity)
        if severity is None or kind != Kind.INCIDENT:
            raise parsed.error(
                "severity",
                _("Unknown severity %(value)s: use SEV1, SEV2, SEV3 or SEV4 (incidents only).")
                % {"value": raw_severity},
            )
    status = _text(parsed, "status") or Status.DRAFT
    if status not in Status.values:
        raise parsed.error(
            "status",
            _("Unknown status %(value)s: use %(known)s.")
            % {"value": status, "known": ", ".join(Status.values)},
        )
    times = _mapping(parsed, "incident_times")
    unknown = sorted(set(times) - set(INCIDENT_TIMES))
    if unknown:
        raise parsed.error(
            "incident_times",
            _("Unknown incident time %(value)s: use %(known)s.")
            % {"value": unknown[0], "known": ", ".join(INCIDENT_TIMES)},
        )
    declared = _moment(parsed, "incident_times", times.get("declared"))
    if (
        incident is not None
        and declared is not None
        and not _same_moment(incident.declared_at, declared)
    ):
        # The same number, declared at another time: another installation's
        # incident, not this one.
        incident = None
    period = _mapping(parsed, "period")
    language = _checked(parsed, "language", clean_language) if _text(parsed, "language") else None
    original = (
        _checked(parsed, "original_language", clean_language, "original_language")
        if _text(parsed, "original_language")
        else None
    )
    language = language or original or "en"
    owner_names = _names(parsed, "owner")
    try:
        services = clean_services(_names(parsed, "services"))
    except DomainError as exc:
        raise parsed.error("services", exc.message) from None
    start = _checked(parsed, "period", lambda _v: clean_date(period.get("start"), "period"))
    end = _checked(parsed, "period", lambda _v: clean_date(period.get("end"), "period"))
    if start and end and end < start:
        raise parsed.error("period", _("The period ends before it starts."))
    public = _bool(parsed, "public")
    if public and incident is not None and incident.private:
        raise parsed.error("public", _("A postmortem of a private incident cannot be made public."))
    return Header(
        title=title,
        number=number,
        incident_ref=incident_ref,
        incident=incident,
        kind=kind,
        template=template,
        severity=severity,
        status=status,
        required=_bool(parsed, "required"),
        public=public,
        owner=owner_names[0] if owner_names else None,
        authors=_names(parsed, "authors"),
        created=_moment(parsed, "created", parsed.front.get("created")),
        due=_checked(parsed, "due", clean_date, "due"),
        approved=_moment(parsed, "approved", parsed.front.get("approved")),
        published=_moment(parsed, "published", parsed.front.get("published")),
        incident_times={
            key: _moment(parsed, "incident_times", times.get(key)) for key in INCIDENT_TIMES
        },
        tags=_checked(parsed, "tags", clean_tags),
        language=language,
        original_language=original or language,
        services=services,
        period_start=start,
        period_end=end,
    )


def read(path: str, data: bytes) -> tuple[ParsedFile, Header]:
    """Parse and validate one file completely, before anything is written."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MarkdownError(path, line, _("The file is not UTF-8 text.")) from None
    parsed = markdown.parse(path, text)
    header = validate_header(parsed)
    markdown.split_body(parsed, get_outline(header.template), header.language)
    return parsed, header


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
    if header.incident_ref is None:
        # A hand-written file without an id: the one retrospective of that
        # kind and title, so that importing it again updates it.
        same = list(Postmortem.objects.filter(kind=header.kind, title=header.title)[:2])
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
        parsed, header = read(path, data)
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
