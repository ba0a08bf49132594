"""API routes for postmortems, mounted under /api/v1/."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from hotwash.accounts.api_auth import caller
from hotwash.core import refs
from hotwash.core.api.errors import ERRORS, error_body, error_responses
from hotwash.core.api.paging import present_page
from hotwash.core.api.present import local, username
from hotwash.core.choices import choice_label
from hotwash.core.errors import InvalidInput, NotFound
from hotwash.incidents.models import Incident
from hotwash.incidents.present import present_entries
from hotwash.incidents.queries import get_incident, parse_ref
from hotwash.incidents.schemas import IncidentRef
from hotwash.postmortems import factors as factor_tags
from hotwash.postmortems import markdown, services
from hotwash.postmortems.facts import incident_facts
from hotwash.postmortems.markdown import INCIDENT_TIMES
from hotwash.postmortems.models import REF_PREFIX, Comment, Kind, Language, Postmortem, Section
from hotwash.postmortems.models import Status as PmStatus
from hotwash.postmortems.outlines import get_outline
from hotwash.postmortems.queries import PostmortemFilters, is_marked_public, readable_postmortems
from hotwash.postmortems.schemas import (
    ChecklistIn,
    ChecklistKey,
    CommentId,
    CommentIn,
    CommentOut,
    ExportQuery,
    FactorsIn,
    FactorsOut,
    IncidentPostmortemCreate,
    LanguagePath,
    LintFindingOut,
    PostmortemCreate,
    PostmortemListQuery,
    PostmortemOut,
    PostmortemPage,
    PostmortemPatch,
    PostmortemRef,
    ReviewersIn,
    ReviewIn,
    SavedSectionOut,
    SectionConflictOut,
    SectionKey,
    SectionSave,
    TransitionIn,
)
from hotwash.postmortems.services import CHECKLIST, SectionConflict

router = Router(tags=["Postmortems"])

MARKDOWN_TYPE = "text/markdown; charset=utf-8"
NON_CONFLICT_ERRORS = error_responses(400, 401, 403, 404, 422)


# --- lookups ----------------------------------------------------------------------


def readable(user: Any) -> QuerySet[Postmortem]:
    """Postmortems `user` can read (the same rule as the pages)."""
    return readable_postmortems(user)


def get_postmortem(user: Any, ref: str) -> Postmortem:
    number = refs.parse_ref(
        ref, REF_PREFIX, _("%(ref)s is not a postmortem reference; use PM-3 or 3.")
    )
    postmortem = Postmortem.objects.select_related("incident", "owner").filter(pk=number).first()
    if postmortem is None or not services.can_read(user, postmortem):
        raise NotFound(_("No postmortem %(ref)s.") % {"ref": f"{REF_PREFIX}{number}"})
    return postmortem


def incident_postmortem(user: Any, ref: str) -> Postmortem:
    incident = get_incident(user, ref)
    postmortem = (
        Postmortem.objects.select_related("incident", "owner").filter(incident=incident).first()
    )
    if postmortem is None:
        raise NotFound(
            _("%(ref)s has no postmortem yet; start one with POST on this address.")
            % {"ref": incident.ref}
        )
    return postmortem


# --- rendering ----------------------------------------------------------------------


def _page_url(request: HttpRequest, postmortem: Postmortem) -> str:
    try:
        return request.build_absolute_uri(
            reverse("postmortems:detail", kwargs={"pk": postmortem.pk})
        )
    except NoReverseMatch:
        return ""


@dataclass(frozen=True)
class PageData:
    """What a postmortem's summary shows of related rows, loaded for a whole
    page in a fixed number of queries."""

    authors: dict[int, list[str]]
    services: dict[int, list[str]]
    written: dict[int, dict[str, set[str]]]

    @classmethod
    def load(cls, postmortems: list[Postmortem]) -> PageData:
        ids = [pm.pk for pm in postmortems]
        authors: dict[int, list[str]] = {pk: [] for pk in ids}
        links = Postmortem.authors.through.objects.filter(postmortem_id__in=ids)
        for pk, name in links.values_list("postmortem_id", "user__username").order_by(
            "user__username"
        ):
            authors[pk].append(name)
        services_by: dict[int, list[str]] = {pk: [] for pk in ids}
        own = Postmortem.services.through.objects.filter(postmortem_id__in=ids)
        for pk, name in own.values_list("postmortem_id", "service__name"):
            services_by[pk].append(name)
        by_incident = {pm.incident_id: pm.pk for pm in postmortems if pm.incident_id}
        if by_incident:
            # A postmortem of an incident shows the incident's services.
            for pk in by_incident.values():
                services_by[pk] = []
            of_incidents = Incident.services.through.objects.filter(
                incident_id__in=list(by_incident)
            )
            for incident_id, name in of_incidents.values_list("incident_id", "service__name"):
                services_by[by_incident[incident_id]].append(name)
        written: dict[int, dict[str, set[str]]] = {pk: {} for pk in ids}
        filled = (
            # Text that is not only white space, as services.completeness counts.
            Section.objects.filter(postmortem_id__in=ids, body__regex=r"\S").values_list(
                "postmortem_id", "language", "key"
            )
        )
        for pk, language, key in filled:
            written[pk].setdefault(language, set()).add(key)
        return cls(authors=authors, services=services_by, written=written)

    def completeness(self, postmortem: Postmortem) -> dict[str, dict[str, int]]:
        outline = get_outline(postmortem.template)
        writable = outline.to_write
        done = self.written[postmortem.pk]
        return {
            language: {"written": len(done.get(language, set()) & writable), "total": len(writable)}
            for language in Language.values
        }


def present_postmortem_summary(
    postmortem: Postmortem, request: HttpRequest, data: PageData | None = None
) -> dict[str, Any]:
    """A postmortem's header; pass `data` when presenting many."""
    data = data or PageData.load([postmortem])
    incident = postmortem.incident
    return {
        "id": postmortem.ref,
        "number": postmortem.pk,
        "title": postmortem.title,
        "kind": postmortem.kind,
        "kind_name": choice_label(Kind, postmortem.kind),
        "template": postmortem.template,
        "status": postmortem.status,
        "status_name": choice_label(PmStatus, postmortem.status),
        "required": postmortem.required,
        "overdue": postmortem.is_overdue(timezone.localdate()),
        "public": is_marked_public(postmortem),
        "incident": incident.ref if incident is not None else None,
        "external_incident": postmortem.external_incident,
        "owner": username(postmortem.owner),
        "authors": data.authors[postmortem.pk],
        "due_on": postmortem.due_on,
        "original_language": postmortem.original_language,
        "tags": list(postmortem.tags or []),
        "services": sorted(data.services[postmortem.pk]),
        "period_start": postmortem.period_start,
        "period_end": postmortem.period_end,
        "created_at": local(postmortem.created_at),
        "updated_at": local(postmortem.updated_at),
        "review_requested_at": local(postmortem.review_requested_at),
        "approved_at": local(postmortem.approved_at),
        "published_at": local(postmortem.published_at),
        "completeness": data.completeness(postmortem),
        "url": _page_url(request, postmortem),
    }


def present_postmortem_summaries(
    postmortems: list[Postmortem], request: HttpRequest
) -> list[dict[str, Any]]:
    data = PageData.load(postmortems)
    return [present_postmortem_summary(postmortem, request, data) for postmortem in postmortems]


def present_section_version(section: Section) -> dict[str, Any]:
    return {
        "body": section.body,
        "version": section.version,
        "updated_at": local(section.updated_at),
        "updated_by": username(section.updated_by) if section.updated_by_id else None,
    }


def _present_approvals(standing: services.Approvals) -> dict[str, Any]:
    return {
        "required": standing.required,
        "approved": [username(person) for person in standing.approved],
        "waiting": [username(person) for person in standing.waiting],
    }


def _present_facts(postmortem: Postmortem) -> dict[str, Any] | None:
    if postmortem.kind != Kind.INCIDENT:
        return None
    incident = postmortem.incident
    if incident is None:
        header = postmortem.imported_header or {}
        return {
            "incident": postmortem.external_incident,
            "incident_title": None,
            "severity": header.get("severity"),
            "services": sorted(postmortem.services.values_list("name", flat=True)),
            "commander": None,
            "responders": [],
            "times": {key: (header.get("incident_times") or {}).get(key) for key in INCIDENT_TIMES},
            "durations": [],
            "key_moments": [],
            "imported": postmortem.imported_facts or {},
        }
    facts = incident_facts(incident)
    return {
        "incident": incident.ref,
        "incident_title": incident.title,
        "severity": incident.severity,
        "services": facts.services,
        "commander": username(facts.commander),
        "responders": [user.username for user in facts.responders],
        "times": {key: local(getattr(incident, name)) for key, name in INCIDENT_TIMES.items()},
        "durations": [
            {"key": item.key, "label": item.label, "seconds": item.seconds}
            for item in facts.durations
        ],
        "key_moments": present_entries(facts.key_moments),
        "imported": {},
    }


def present_postmortem(postmortem: Postmortem, request: HttpRequest) -> dict[str, Any]:
    outline = get_outline(postmortem.template)
    language = (request.LANGUAGE_CODE or "en")[:2]
    texts: dict[tuple[str, str], Section] = {
        (section.key, section.language): section
        for section in postmortem.sections.select_related("updated_by")
    }
    ticked = {item.key: item for item in postmortem.checklist.select_related("checked_by")}
    return {
        **present_postmortem_summary(postmortem, request),
        "sections": [
            {
                "key": section.key,
                "title": section.title.get(language),
                "level": section.level,
                "generated": section.generated,
                "languages": {
                    lang: present_section_version(texts[(section.key, lang)])
                    if (section.key, lang) in texts
                    else None
                    for lang in ("en", "fr")
                },
            }
            for section in outline.sections
        ],
        "reviewers": [
            {
                "user": reviewer.user.username,
                "decision": reviewer.decision,
                "decided_at": local(reviewer.decided_at),
            }
            for reviewer in postmortem.reviewers.select_related("user").order_by("user__username")
        ],
        "checklist": [
            {
                "key": key,
                "label": str(text),
                "checked": key in ticked,
                "checked_by": username(ticked[key].checked_by) if key in ticked else None,
                "checked_at": local(ticked[key].checked_at) if key in ticked else None,
            }
            for key, text in CHECKLIST
        ],
        "approval_problems": services.approval_problems(postmortem),
        "approvals": _present_approvals(services.approvals(postmortem)),
        "facts": _present_facts(postmortem),
        "factors": present_factors(factor_tags.factors_of(postmortem), language),
    }


def present_factors(
    factors: list[factor_tags.Factor], language: str | None = None
) -> list[dict[str, Any]]:
    return [
        {"value": factor.value, "key": factor.key or None, "name": factor.name(language)}
        for factor in factors
    ]


def _present_factors_and_suggestions(postmortem: Postmortem, language: str) -> dict[str, Any]:
    return {
        "factors": present_factors(factor_tags.factors_of(postmortem), language),
        "suggestions": [
            {
                "key": suggestion.key,
                "name": factor_tags.Factor(key=suggestion.key).name(language),
                "words": list(suggestion.words),
            }
            for suggestion in factor_tags.suggest_factors(postmortem)
        ],
    }


def present_comment(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "section": comment.section_key,
        "author": username(comment.author),
        "body": comment.body,
        "created_at": local(comment.created_at),
        "resolved_at": local(comment.resolved_at),
    }


# --- the incident's postmortem -------------------------------------------------------


@router.get(
    "/incidents/{ref}/postmortem",
    response={200: PostmortemOut, **ERRORS},
    summary="Get an incident's postmortem",
    operation_id="get_incident_postmortem",
)
def read_for_incident(request: HttpRequest, ref: IncidentRef) -> dict[str, Any]:
    """The incident's postmortem with its status, owner, due date, sections
    in each language with their versions, completeness, reviewers,
    checklist and the facts read from the incident (durations, key
    moments). 404 when the incident has none yet."""
    return present_postmortem(incident_postmortem(caller(request), ref), request)


@router.post(
    "/incidents/{ref}/postmortem",
    response={201: PostmortemOut, **ERRORS},
    summary="Start an incident's postmortem",
    operation_id="start_incident_postmortem",
)
def start_for_incident(
    request: HttpRequest, ref: IncidentRef, payload: IncidentPostmortemCreate
) -> Status[dict[str, Any]]:
    """Any incident can get a postmortem on request, before it is resolved
    or when policy does not ask for one. The template and due date come
    from policy unless given. 409 when it already has one."""
    user = caller(request)
    incident = get_incident(user, ref)
    postmortem = services.create_retrospective(
        actor=user,
        title="",
        kind=Kind.INCIDENT,
        incident=incident,
        template=payload.template,
        language=payload.language,
    )
    return Status(201, present_postmortem(postmortem, request))


@router.patch(
    "/incidents/{ref}/postmortem",
    response={200: PostmortemOut, **ERRORS},
    summary="Change an incident's postmortem",
    operation_id="update_incident_postmortem",
)
def update_for_incident(
    request: HttpRequest, ref: IncidentRef, payload: PostmortemPatch
) -> dict[str, Any]:
    """Change header fields (owner, due date, title, tags, ...); send only
    those to change. A new owner or due date is noted on the incident's
    timeline."""
    user = caller(request)
    postmortem = incident_postmortem(user, ref)
    changes = payload.model_dump(include=payload.model_fields_set)
    postmortem = services.update_postmortem(postmortem, actor=user, changes=changes)
    return present_postmortem(postmortem, request)


# --- the collection --------------------------------------------------------------------


def _values(raw: list[str]) -> list[str]:
    return [part.strip() for value in raw for part in value.split(",") if part.strip()]


def search(user: Any, query: PostmortemListQuery) -> QuerySet[Postmortem]:
    """The list's parameters read strictly (an unknown value is an error
    naming it), then filtered as the list page filters."""
    statuses = _values(query.status)
    for value in statuses:
        if value not in PmStatus.values:
            raise InvalidInput(
                _("Unknown status %(value)s: use %(known)s.")
                % {"value": value, "known": ", ".join(PmStatus.values)},
                field="status",
            )
    kinds = tuple(services.clean_kind(value) for value in _values(query.kind))
    owner = None
    if query.owner:
        owner = user.username if query.owner == "me" else query.owner.strip()
    incident = None
    if query.incident:
        try:
            incident = parse_ref(query.incident)
        except NotFound as exc:
            raise InvalidInput(exc.message, field="incident") from None
    filters = PostmortemFilters(
        statuses=tuple(statuses),
        kinds=kinds,
        owner=owner,
        incident=incident,
        overdue=query.overdue,
        title=query.q.strip() if query.q else None,
        tag=query.tag.strip() if query.tag else None,
    )
    return filters.apply(readable(user), user)


@router.get(
    "/postmortems",
    response={200: PostmortemPage, **ERRORS},
    summary="List postmortems and retrospectives",
    operation_id="list_postmortems",
)
def list_postmortems(request: HttpRequest, query: Query[PostmortemListQuery]) -> dict[str, Any]:
    """Postmortems and retrospectives you can read, newest first, filtered
    by status, kind, owner, incident, overdue, tag and title text."""
    postmortems = search(caller(request), query)
    return present_page(
        postmortems,
        request,
        page=query.page,
        per_page=query.per_page,
        render=lambda rows: present_postmortem_summaries(rows, request),
    )


@router.post(
    "/postmortems",
    response={201: PostmortemOut, **ERRORS},
    summary="Start a postmortem or retrospective",
    operation_id="create_postmortem",
)
def create(request: HttpRequest, payload: PostmortemCreate) -> Status[dict[str, Any]]:
    """A retrospective without an incident (kind success or project), or an
    incident's postmortem on request (kind incident with `incident`).
    Responders and admins only."""
    user = caller(request)
    incident: Incident | None = None
    if payload.incident:
        try:
            incident = get_incident(user, payload.incident)
        except NotFound as exc:
            raise InvalidInput(exc.message, field="incident") from None
    data = payload.model_dump(exclude={"incident"})
    postmortem = services.create_retrospective(actor=user, incident=incident, **data)
    return Status(201, present_postmortem(postmortem, request))


def _export_response(text: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(text, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


ZIP_DOC = {
    "responses": {
        200: {
            "description": "A zip file of Markdown files.",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}
MARKDOWN_DOC = {
    "responses": {
        200: {
            "description": "The Markdown file.",
            "content": {"text/markdown": {"schema": {"type": "string"}}},
        }
    }
}


@router.get(
    "/postmortems/export",
    response=ERRORS,
    summary="Export every postmortem as Markdown",
    operation_id="export_postmortems",
    openapi_extra=ZIP_DOC,
)
def export_all(request: HttpRequest) -> HttpResponse:
    """A zip of Markdown files, one per postmortem and language version,
    for every postmortem and retrospective you can read (the format is in
    docs/postmortems-markdown.md)."""
    reader = caller(request)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for postmortem in readable(reader).order_by("pk"):
            for exported in markdown.export_files(postmortem, reader=reader):
                # A fixed date, so that the same postmortems give the same zip.
                info = zipfile.ZipInfo(exported.name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, exported.text.encode("utf-8"))
    return _export_response(buffer.getvalue(), "postmortems.zip", "application/zip")


@router.get(
    "/postmortems/{ref}",
    response={200: PostmortemOut, **ERRORS},
    summary="Get a postmortem",
    operation_id="get_postmortem",
)
def read(request: HttpRequest, ref: PostmortemRef) -> dict[str, Any]:
    """One postmortem or retrospective with its sections (every language,
    with versions), completeness, reviewers, checklist and facts."""
    return present_postmortem(get_postmortem(caller(request), ref), request)


@router.patch(
    "/postmortems/{ref}",
    response={200: PostmortemOut, **ERRORS},
    summary="Change a postmortem",
    operation_id="update_postmortem",
)
def update(request: HttpRequest, ref: PostmortemRef, payload: PostmortemPatch) -> dict[str, Any]:
    """Change header fields; send only those to change. Responders, admins,
    the owner and its authors can."""
    user = caller(request)
    postmortem = get_postmortem(user, ref)
    changes = payload.model_dump(include=payload.model_fields_set)
    postmortem = services.update_postmortem(postmortem, actor=user, changes=changes)
    return present_postmortem(postmortem, request)


@router.get(
    "/postmortems/{ref}/export",
    response=ERRORS,
    summary="Export a postmortem as Markdown",
    operation_id="export_postmortem",
    openapi_extra=MARKDOWN_DOC,
)
def export_one(request: HttpRequest, ref: PostmortemRef, query: Query[ExportQuery]) -> HttpResponse:
    """One language version as a Markdown file with YAML front matter
    (text/markdown); `language` picks the version, by default the original."""
    reader = caller(request)
    postmortem = get_postmortem(reader, ref)
    language = (
        services.clean_language(query.language) if query.language else postmortem.original_language
    )
    exported = markdown.export_file(postmortem, language, reader=reader)
    return _export_response(exported.text.encode("utf-8"), exported.name, MARKDOWN_TYPE)


@router.put(
    "/postmortems/{ref}/sections/{key}/{language}",
    # Its own 409 shape (both versions) in place of the shared Error.
    response={200: SavedSectionOut, 409: SectionConflictOut, **NON_CONFLICT_ERRORS},
    summary="Save a section",
    operation_id="save_postmortem_section",
)
def save_section(
    request: HttpRequest,
    ref: PostmortemRef,
    key: SectionKey,
    language: LanguagePath,
    payload: SectionSave,
) -> Any:
    """Save one section's text in one language. Send the version you started
    from as `base_version`: if someone saved in between, nothing is written
    and the answer is 409 with both versions (`current` and `yours`) so
    neither is lost. (A postmortem that is approved or published answers
    409 too, without versions: reopen it as a draft first.)"""
    user = caller(request)
    postmortem = get_postmortem(user, ref)
    try:
        section = services.save_section(
            postmortem,
            actor=user,
            key=key,
            language=language,
            body=payload.body,
            base_version=payload.base_version,
        )
    except SectionConflict as conflict:
        body = {
            **error_body(conflict.message, conflict.field),
            "current": present_section_version(conflict.current),
            "yours": {"body": conflict.yours, "base_version": payload.base_version},
        }
        return Status(409, body)
    return {**present_section_version(section), "key": section.key, "language": section.language}


@router.post(
    "/postmortems/{ref}/transitions",
    response={200: PostmortemOut, **ERRORS},
    summary="Move a postmortem through review",
    operation_id="transition_postmortem",
)
def transition(request: HttpRequest, ref: PostmortemRef, payload: TransitionIn) -> dict[str, Any]:
    """request_review (draft → in review; needs reviewers), withdraw,
    approve (a named reviewer or an admin, with the checklist ticked),
    publish, reopen. Each lands on the incident's timeline."""
    user = caller(request)
    postmortem = get_postmortem(user, ref)
    postmortem = services.transition(postmortem, actor=user, action=payload.action)
    return present_postmortem(postmortem, request)


@router.put(
    "/postmortems/{ref}/reviewers",
    response={200: PostmortemOut, **ERRORS},
    summary="Name a postmortem's reviewers",
    operation_id="set_postmortem_reviewers",
)
def set_reviewers(request: HttpRequest, ref: PostmortemRef, payload: ReviewersIn) -> dict[str, Any]:
    """Replace the list of reviewers (usernames); decisions of reviewers who
    stay on the list are kept."""
    user = caller(request)
    postmortem = get_postmortem(user, ref)
    services.set_reviewers(postmortem, actor=user, usernames=payload.reviewers)
    return present_postmortem(postmortem, request)


@router.post(
    "/postmortems/{ref}/review",
    response={200: PostmortemOut, **ERRORS},
    summary="Review a postmortem",
    operation_id="review_postmortem",
)
def review(request: HttpRequest, ref: PostmortemRef, payload: ReviewIn) -> dict[str, Any]:
    """A named reviewer approves or asks for changes (with a comment saying
    which). The postmortem must be in review."""
    user = caller(request)
    postmortem = get_postmortem(user, ref)
    services.review(postmortem, actor=user, decision=payload.decision, comment=payload.comment)
    return present_postmortem(postmortem, request)


@router.put(
    "/postmortems/{ref}/checklist/{item}",
    response={200: PostmortemOut, **ERRORS},
    summary="Tick a review checklist item",
    operation_id="set_postmortem_checklist_item",
)
def set_checklist_item(
    request: HttpRequest, ref: PostmortemRef, item: ChecklistKey, payload: ChecklistIn
) -> dict[str, Any]:
    """Tick or untick one question of the review checklist; all must be
    ticked before approval."""
    user = caller(request)
    postmortem = get_postmortem(user, ref)
    services.set_checklist_item(postmortem, actor=user, key=item, checked=payload.checked)
    return present_postmortem(postmortem, request)


@router.get(
    "/postmortems/{ref}/comments",
    response={200: list[CommentOut], **ERRORS},
    summary="List a postmortem's comments",
    operation_id="list_postmortem_comments",
)
def list_comments(request: HttpRequest, ref: PostmortemRef) -> list[dict[str, Any]]:
    """Every comment on the postmortem, oldest first, resolved ones too."""
    postmortem = get_postmortem(caller(request), ref)
    return [present_comment(c) for c in postmortem.comments.select_related("author")]


@router.post(
    "/postmortems/{ref}/comments",
    response={201: CommentOut, **ERRORS},
    summary="Comment on a postmortem",
    operation_id="add_postmortem_comment",
)
def add_comment(
    request: HttpRequest, ref: PostmortemRef, payload: CommentIn
) -> Status[dict[str, Any]]:
    """A comment on the whole postmortem or on one section (`section`, its
    key). Anyone who can read the postmortem can comment."""
    user = caller(request)
    postmortem = get_postmortem(user, ref)
    comment = services.add_comment(
        postmortem, actor=user, body=payload.body, section=payload.section
    )
    return Status(201, present_comment(comment))


@router.post(
    "/postmortems/{ref}/comments/{comment_id}/resolve",
    response={200: CommentOut, **ERRORS},
    summary="Resolve a comment",
    operation_id="resolve_postmortem_comment",
)
def resolve_comment(request: HttpRequest, ref: PostmortemRef, comment_id: CommentId) -> Any:
    """Mark a comment as dealt with; it stays in the list."""
    user = caller(request)
    postmortem = get_postmortem(user, ref)
    comment = Comment.objects.filter(postmortem=postmortem, pk=comment_id).first()
    if comment is None:
        raise NotFound(_("No comment %(id)s on this postmortem.") % {"id": comment_id})
    return present_comment(services.resolve_comment(comment, actor=user))


@router.get(
    "/postmortems/{ref}/lint",
    response={200: list[LintFindingOut], **ERRORS},
    summary="Check a postmortem for blameful language",
    operation_id="lint_postmortem",
)
def lint(request: HttpRequest, ref: PostmortemRef) -> list[dict[str, Any]]:
    """Blameless-language findings in every section and language (advice
    shown on review; they never block it)."""
    postmortem = get_postmortem(caller(request), ref)
    return [
        {**item, "finding": item["finding"].as_dict()}
        if hasattr(item["finding"], "as_dict")
        else item
        for item in services.lint_postmortem(postmortem)
    ]


# --- contributing factors (themes) -------------------------------------------------------


@router.get(
    "/postmortems/{ref}/factors",
    response={200: FactorsOut, **ERRORS},
    summary="Get a postmortem's contributing factors",
    operation_id="get_postmortem_factors",
)
def read_factors(request: HttpRequest, ref: PostmortemRef) -> dict[str, Any]:
    """The contributing factors it is tagged with (taxonomy keys from the
    policy file and free tags), and suggestions: taxonomy factors its
    Contributing factors section mentions but it is not tagged with."""
    postmortem = get_postmortem(caller(request), ref)
    return _present_factors_and_suggestions(postmortem, (request.LANGUAGE_CODE or "en")[:2])


@router.put(
    "/postmortems/{ref}/factors",
    response={200: FactorsOut, **ERRORS},
    summary="Set a postmortem's contributing factors",
    operation_id="set_postmortem_factors",
)
def set_factors(request: HttpRequest, ref: PostmortemRef, payload: FactorsIn) -> dict[str, Any]:
    """Replace the list of contributing factors. A word that is a taxonomy
    key or a factor's name (English or French) is that factor; any other
    word is a free tag. Allowed at any stage, to those who can edit it."""
    user = caller(request)
    postmortem = get_postmortem(user, ref)
    factor_tags.set_factors(postmortem, actor=user, factors=payload.factors)
    return _present_factors_and_suggestions(postmortem, (request.LANGUAGE_CODE or "en")[:2])
