"""Searching, for the page, the API and the CLI: the parameters, who may
find what, and the results with their snippets.

Who may find what is the incidents' rule (`incidents.queries`): a private
incident's words, and those of its postmortem, action items and alert
groups, match only for its participants and the admins. The engine applies
it before ranking, from the privacy copied onto each index row; the rows on
the page are then checked again against each app's own visibility query
(`visible_incident_ids`, `readable_postmortems`, `visible_items`,
`visible_groups`), so a result is shown only if its own page would show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from hotwash.accounts.permissions import AnyUser, is_admin
from hotwash.actions.queries import visible_items
from hotwash.alerts.queries import visible_groups
from hotwash.core.api.paging import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from hotwash.core.errors import InvalidInput
from hotwash.core.validators import check_date
from hotwash.incidents import fields as custom_fields
from hotwash.incidents.models import REF_PREFIX
from hotwash.incidents.queries import visible_incident_ids
from hotwash.postmortems.queries import readable_postmortems
from hotwash.search import engine, snippets
from hotwash.search.models import Document, Kind

# A longer query is cut: nobody types more, and each word costs a lookup.
MAX_QUERY = 200


@dataclass(frozen=True)
class SearchParams:
    text: str
    kinds: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    types: tuple[str, ...] = ()
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> SearchParams:
        """From query parameters (a QueryDict or a dict of lists or values);
        a bad value is InvalidInput naming its parameter."""

        def values(name: str) -> list[str]:
            raw = params.getlist(name) if hasattr(params, "getlist") else params.get(name)
            items = raw if isinstance(raw, list | tuple) else [] if raw is None else [raw]
            return [v.strip() for item in items for v in str(item).split(",") if v.strip()]

        kinds = tuple(dict.fromkeys(v.lower() for v in values("kind")))
        for kind in kinds:
            if kind not in Kind.values:
                raise InvalidInput(
                    _("Unknown kind %(value)s: use one of %(choices)s.")
                    % {"value": kind, "choices": ", ".join(Kind.values)},
                    field="kind",
                )
        since, until = _date(values("since"), "since"), _date(values("until"), "until")
        if since and until and until < since:
            raise InvalidInput(_("The end of the period is before its start."), field="until")
        query = params.get("q") or ""
        if isinstance(query, list | tuple):
            query = " ".join(str(part) for part in query)
        return cls(
            text=str(query).strip()[:MAX_QUERY],
            kinds=kinds,
            since=since,
            until=until,
            types=tuple(dict.fromkeys(_type(v) for v in values("type"))),
            page=_number(values("page"), "page", 1, MAX_PAGE, default=1),
            per_page=_number(values("per_page"), "per_page", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE),
        )


def _date(raw: list[str], name: str) -> date | None:
    if not raw:
        return None
    try:
        return check_date(date.fromisoformat(raw[0]), name)
    except ValueError:
        raise InvalidInput(
            _("%(value)s is not a date: use YYYY-MM-DD.") % {"value": raw[0]}, field=name
        ) from None


def _type(raw: str) -> str:
    key = raw.lower()
    if not key:
        return key
    return custom_fields.clean_type(key)


def _number(raw: list[str], name: str, low: int, high: int, default: int) -> int:
    if not raw:
        return default
    if not (raw[0].isascii() and raw[0].isdigit()) or not low <= int(raw[0]) <= high:
        raise InvalidInput(
            _("%(name)s must be a whole number from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high},
            field=name,
        )
    return int(raw[0])


@dataclass(frozen=True)
class Result:
    kind: str
    ref: str
    object_id: int
    incident_ref: str | None
    title: str
    title_html: SafeString
    snippet_html: SafeString
    occurred_at: datetime
    incident_type: str
    path: str
    score: float

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)

    @property
    def type_label(self) -> str:
        return custom_fields.type_name(self.incident_type) if self.incident_type else ""


@dataclass(frozen=True)
class Results:
    items: list[Result]
    # Matches counted up to engine.CANDIDATES; `exact` False beyond.
    count: int
    exact: bool
    has_next: bool


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the reader's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def scope_for(user: AnyUser, params: SearchParams) -> engine.Scope:
    return engine.Scope(
        reader_id=None if is_admin(user) else user.pk,
        kinds=params.kinds,
        types=tuple(t for t in params.types if t),
        since=_start_of(params.since) if params.since else None,
        before=_start_of(params.until + timedelta(days=1)) if params.until else None,
    )


def search(user: AnyUser, params: SearchParams) -> Results:
    """One page of what `user` may find for `params`, best first."""
    if not user.is_authenticated or not params.text.strip():
        return Results(items=[], count=0, exact=True, has_next=False)
    found = engine.candidates(params.text, scope_for(user, params))
    start = (params.page - 1) * params.per_page
    page = found[start : start + params.per_page]
    scores = {candidate.id: candidate.score for candidate in page}
    documents = {doc.pk: doc for doc in Document.objects.filter(pk__in=scores)}
    allowed = _still_visible(user, list(documents.values()))
    items = [
        _result(documents[pk], params.text, scores[pk])
        for pk in scores
        if pk in documents and (documents[pk].kind, documents[pk].object_id) in allowed
    ]
    return Results(
        items=items,
        count=len(found),
        exact=len(found) < engine.CANDIDATES,
        has_next=len(found) > start + params.per_page,
    )


def _still_visible(user: AnyUser, documents: list[Document]) -> set[tuple[str, int]]:
    """Which of these documents each app's own visibility query lets `user`
    see (at most one query per kind, for the page's rows only)."""
    by_kind: dict[str, set[int]] = {}
    for doc in documents:
        by_kind.setdefault(doc.kind, set()).add(doc.object_id)
    allowed: set[tuple[str, int]] = set()
    for kind, ids in by_kind.items():
        if kind == Kind.INCIDENT:
            visible = visible_incident_ids(user, ids)
        else:
            visible_query = {
                Kind.POSTMORTEM: readable_postmortems,
                Kind.ACTION_ITEM: visible_items,
                Kind.ALERT_GROUP: visible_groups,
            }[Kind(kind)](user)
            visible = set(visible_query.filter(pk__in=ids).values_list("pk", flat=True))
        allowed |= {(kind, pk) for pk in visible}
    return allowed


def path_of(kind: str, object_id: int, ref: str) -> str:
    """The page of a result, in the active language."""
    if kind == Kind.INCIDENT:
        return reverse("incidents:detail", args=[ref])
    name = {
        Kind.POSTMORTEM: "postmortems:detail",
        Kind.ACTION_ITEM: "actions:detail",
        Kind.ALERT_GROUP: "alerts:group",
    }[Kind(kind)]
    return reverse(name, args=[object_id])


def _result(doc: Document, query: str, score: float) -> Result:
    return Result(
        kind=doc.kind,
        ref=doc.ref,
        object_id=doc.object_id,
        incident_ref=f"{REF_PREFIX}{doc.incident_id}" if doc.incident_id else None,
        title=doc.title,
        title_html=snippets.highlight(doc.title, query),
        snippet_html=snippets.snippet(doc.body, query),
        occurred_at=doc.occurred_at,
        incident_type=doc.incident_type,
        path=path_of(doc.kind, doc.object_id, doc.ref),
        score=score,
    )
