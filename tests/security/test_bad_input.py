"""A corpus of values no database, clock or page can hold, sent everywhere.

Every API operation (read from the OpenAPI document) gets each bad value in
each of its parameters and body fields, chosen by the field's type in the
document (text, number, date, time, list); every web list page (read from
the URL resolver) gets them in each parameter it shows: the fields of its
search forms, the parameters of its links to itself, and `page`. Each
answer must be below 500, and nothing may change in the database. An operation or page added later is walked without editing this
test; a path parameter it cannot fill fails the walk, naming it.

The corpus: NUL characters (PostgreSQL text cannot hold them), lone UTF-16
surrogates (not characters; no page can be encoded with one), numbers past
64 bits, days that overflow when a day is added or a zone applied
(9999-12-31, year 1), and times at the edge of the calendar in the zones
farthest from UTC (year 1 at +14:00 is year 0 in UTC).

Some focused cases of the same values, with their messages, are in
tests/api/test_errors.py; web forms are at the end of this file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_api_token, create_user
from hotwash.actions.models import ActionItem
from hotwash.actions.services import create_action_item
from hotwash.alerts.ingest import IncomingAlert, ingest
from hotwash.alerts.models import AlertGroup
from hotwash.alerts.services import create_source
from hotwash.incidents import linking
from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident, IncidentLink, Service, Task, TimelineEvent
from hotwash.operations.urls import PATHS as OPERATIONS_PATHS
from hotwash.postmortems import services as postmortems
from hotwash.postmortems.models import ChecklistItem, Comment, Postmortem, Section
from hotwash.reports import services as reports
from hotwash.reports.models import Report
from hotwash.triggers.models import Heartbeat, PolicyFiring, Proposal

pytestmark = pytest.mark.django_db

# --- the corpus -----------------------------------------------------------------

NUL_TEXT = "Shop \x00 down"
TEXTS = [NUL_TEXT, "Shop \ud800 down", "\udfff"]
NUMBERS = [2**63 - 1, 2**63, -(2**63) - 1, 10**30]
DAYS = ["9999-12-31", "0001-01-01"]
TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
# What a query string or a path can carry: a surrogate cannot be sent in
# UTF-8 at all (Django reads broken UTF-8 as U+FFFD), so NUL stands for text.
PARAMETER_VALUES = [NUL_TEXT, *DAYS, *TIMES, str(NUMBERS[0]), str(NUMBERS[1])]

# Rows that may change on any request: sessions and sign-in throttling.
UNCOUNTED_APPS = {"sessions", "axes"}
# And rows a reading request may write: the insights figures it computed,
# kept for the next view (hotwash.insights.figures), which are no one's data.
UNCOUNTED_MODELS = {"insights.figuressnapshot"}


# --- the world the bad values are aimed at ------------------------------------------


@dataclass
class World:
    admin: User
    incident: Incident
    event: TimelineEvent
    task: Task
    postmortem: Postmortem
    section: Section
    checklist_key: str
    comment: Comment
    item: ActionItem
    group: AlertGroup
    proposal: Proposal
    heartbeat: Heartbeat
    report: Report
    link: IncidentLink
    source_tokens: dict[str, str] = field(default_factory=dict)

    def path_values(self) -> dict[tuple[str, str], str]:
        """Each path parameter, by the segment before it, and what fills it."""
        return {
            ("incidents", "ref"): self.incident.ref,
            ("timeline", "entry_id"): str(self.event.pk),
            ("tasks", "task_id"): str(self.task.pk),
            ("roles", "role"): "commander",
            ("postmortems", "ref"): self.postmortem.ref,
            ("sections", "key"): self.section.key,
            ("{key}", "language"): self.section.language,
            ("checklist", "item"): self.checklist_key,
            ("comments", "comment_id"): str(self.comment.pk),
            ("action-items", "ref"): self.item.ref,
            ("groups", "group_id"): str(self.group.pk),
            ("proposals", "proposal_id"): str(self.proposal.pk),
            ("heartbeats", "name"): self.heartbeat.name,
            ("trackers", "tracker_id"): "1",
            ("services", "name"): "payments API",
            ("webhooks", "webhook_id"): "1",
            ("reports", "ref"): self.report.ref,
            ("links", "link_id"): str(self.link.pk),
        }

    def body_values(self) -> dict[str, Any]:
        """Good values for required body fields the document cannot suggest,
        so that the bad value is the only thing wrong with a request."""
        return {
            "title": "Bad input walk",
            "body": "A note",
            "text": "Plain words",
            "user": "amira",
            "owner": "amira",
            "incident": self.incident.ref,
            "service": "shop",
            "base_version": self.section.version,
            "reviewers": ["amira"],
            "checked": True,
            "alerts": [],
            "groupKey": "walk",
            "status": "firing",
        }


def _build_world() -> World:
    admin = create_user("ada", password="correct horse 42", role=Role.ADMIN)
    amira = create_user("amira", password="correct horse 42", role=Role.RESPONDER)
    incident = incidents.declare_incident(
        actor=amira, title="Checkout fails", severity=2, summary="Card payments fail."
    )
    event = incidents.add_timeline_event(incident, actor=amira, body="Rolled back")
    task = incidents.add_task(incident, actor=amira, title="Check the replicas")
    incidents.assign_role(incident, actor=amira, role="commander", user=amira)
    incident = incidents.update_incident(incident, actor=amira, changes={"status": "resolved"})
    postmortem = Postmortem.objects.get(incident=incident)
    section = Section.objects.filter(postmortem=postmortem).order_by("pk").first()
    assert section is not None
    checklist = ChecklistItem.objects.filter(postmortem=postmortem).values_list("key", flat=True)
    comment = postmortems.add_comment(postmortem, actor=amira, body="Which deploy?")
    item = create_action_item(actor=amira, title="Alert on lag", owner=amira, incident=incident)
    tokens = {}
    for kind in ("alertmanager", "grafana", "generic"):
        source, tokens[kind] = create_source(name=f"walk-{kind}", kind=kind)
    now = datetime.now(UTC)
    ingest(
        source,
        [
            IncomingAlert(
                fingerprint="disk-full",
                status="firing",
                labels={"alertname": "DiskFull", "service": "shop"},
                annotations={"summary": "Disk full"},
                starts_at=now - timedelta(minutes=5),
                ends_at=None,
                generator_url="",
                group_key="disk",
                group_labels={"alertname": "DiskFull"},
            )
        ],
    )
    group = AlertGroup.objects.get(group_key="disk")
    firing = PolicyFiring.objects.create(
        policy_id="walk",
        trigger="resolution_time",
        mode="propose",
        action="proposed",
        key="walk",
        fired_at=now,
        incident=incident,
    )
    proposal = Proposal.objects.create(
        firing=firing,
        kind="escalate",
        status="open",
        title="Escalate",
        incident=incident,
        created_at=now,
    )
    heartbeat = Heartbeat.objects.create(name="backup-job", status="up", created_at=now)
    Service.objects.get_or_create(name="payments API")  # unowned: any responder changes it
    related = incidents.declare_incident(actor=amira, title="Replica lag")
    link = linking.link_incidents(incident, actor=amira, to=related, kind="related")
    return World(
        admin=admin,
        incident=incident,
        event=event,
        task=task,
        postmortem=postmortem,
        section=section,
        checklist_key=str(checklist[0]) if checklist else "timeline-complete",
        comment=comment,
        item=item,
        group=group,
        proposal=proposal,
        heartbeat=heartbeat,
        report=reports.file_report(
            author=admin, kind="near-miss", text="Almost", anonymous=False, now=now
        ),
        link=link,
        source_tokens=tokens,
    )


@pytest.fixture
def world(db: None) -> World:
    return _build_world()


# --- asking, and checking that nothing changed ---------------------------------------


def _row_counts() -> tuple[int, ...]:
    """The number of rows of every table, in one query."""
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.app_label not in UNCOUNTED_APPS
        and model._meta.label_lower not in UNCOUNTED_MODELS
    )
    quote_name = connection.ops.quote_name
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote_name(table)})" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        row = cursor.fetchone()
    return tuple(row)


@dataclass
class Walk:
    """Sends requests, each in a savepoint (a database error inside a view
    must not end the test's transaction), and notes every one that failed."""

    failures: list[str] = field(default_factory=list)
    sent: int = 0

    def send(self, client: Client, method: str, path: str, what: str, **kwargs: Any) -> None:
        self.sent += 1
        before = _row_counts()
        try:
            with transaction.atomic():
                response = getattr(client, method)(path, **kwargs)
        except DatabaseError as error:  # the view broke the transaction
            self.failures.append(f"{method.upper()} {path} [{what}]: database error {error}")
            return
        status = response.status_code
        if getattr(response, "streaming", False):
            response.close()
        if status >= 500:
            self.failures.append(f"{method.upper()} {path} [{what}]: {status}")
        elif _row_counts() != before:
            self.failures.append(f"{method.upper()} {path} [{what}]: {status}, rows changed")

    def report(self) -> str:
        shown = "\n".join(self.failures[:40])
        return f"{len(self.failures)} of {self.sent} requests failed:\n{shown}"


# --- the API, from its OpenAPI document --------------------------------------------------

_PARAMETER = re.compile(r"{([^}]+)}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    parameters: list[dict[str, Any]]
    body: dict[str, Any] | None  # the JSON body's schema, references resolved

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _operations(document: dict[str, Any]) -> list[Operation]:
    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = document["components"]["schemas"][name]
        return schema

    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            body = next(
                (resolve(media["schema"]) for kind, media in content.items() if "json" in kind),
                None,
            )
            if body is not None:
                body = {
                    **body,
                    "properties": {
                        name: resolve(schema) for name, schema in body.get("properties", {}).items()
                    },
                }
            found.append(Operation(method, path, operation.get("parameters", []), body))
    return found


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema's alternatives (anyOf, oneOf), null left out."""
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return [option for option in options if option.get("type") != "null"]


def _bad_values(schema: dict[str, Any]) -> list[Any]:
    """The corpus values for a body field of this schema."""
    values: list[Any] = []
    for option in _branches(schema):
        kind, shape = option.get("type"), option.get("format") or schema.get("format")
        if kind == "string" and shape == "date":
            values += [*DAYS, NUL_TEXT]
        elif kind == "string" and shape == "date-time":
            values += [*TIMES, NUL_TEXT]
        elif kind == "string":
            values += TEXTS
        elif kind == "integer":
            values += NUMBERS
        elif kind == "array":
            values += [[text] for text in TEXTS]
        elif kind == "object":
            values += [{"label": TEXTS[0]}, {TEXTS[1]: "value"}]
        elif kind is None:  # typed loosely: documented elsewhere, checked by the service
            values += [*TEXTS, *NUMBERS]
    unique: list[Any] = []
    for value in values:
        if value not in unique:
            unique.append(value)
    return unique


def _good_value(name: str, schema: dict[str, Any], world: World) -> Any:
    known = world.body_values()
    if name in known:
        return known[name]
    option = (_branches(schema) or [schema])[0]
    for source in (schema, option):
        if source.get("enum"):
            return source["enum"][0]
        if source.get("examples"):
            return source["examples"][0]
    defaults = {"string": "walk", "integer": 1, "boolean": False, "array": [], "object": {}}
    return defaults.get(option.get("type") or "string", "walk")


def _path(operation: Operation, world: World, bad: tuple[str, str] | None = None) -> str:
    known = world.path_values()
    parts = [part for part in operation.path.split("/") if part]

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if bad is not None and bad[0] == name:
            return quote(bad[1], safe="")
        before = parts[parts.index(match.group(0)) - 1]
        value = known.get((before, name))
        assert value is not None, (
            f"The bad-input walk cannot fill {{{name}}} in {operation.path}: add it to "
            "World.path_values in tests/security/test_bad_input.py."
        )
        return quote(value, safe="")

    return _PARAMETER.sub(fill, operation.path)


def _client_for(operation: Operation, world: World, admin_token: str) -> Client:
    """The admin reaches every operation; an alert webhook takes its own
    source's token, so its body is read rather than refused unread."""
    kind = operation.path.rsplit("/", 1)[-1]
    token = world.source_tokens.get(kind, admin_token)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)


def _walk_operation(operation: Operation, world: World, client: Client, walk: Walk) -> None:
    path = _path(operation, world)
    body_schema = operation.body
    base: dict[str, Any] = {}
    if body_schema is not None:
        properties = body_schema.get("properties", {})
        base = {
            name: _good_value(name, properties[name], world)
            for name in body_schema.get("required", [])
            if name in properties
        }

    def send(target: str, **kwargs: Any) -> None:
        if body_schema is not None and "data" not in kwargs:
            kwargs = {**kwargs, "data": json.dumps(base), "content_type": "application/json"}
        walk.send(client, operation.method, kwargs.pop("url", path), target, **kwargs)

    for parameter in operation.parameters:
        name, where = parameter["name"], parameter["in"]
        if where == "path":
            kind = parameter.get("schema", {}).get("type")
            values = [str(n) for n in NUMBERS] if kind == "integer" else [NUL_TEXT]
            for value in values:
                send(f"{name}={value!r}", url=_path(operation, world, (name, value)))
        elif where == "query":
            for value in PARAMETER_VALUES:
                send(f"{name}={value!r}", url=f"{path}?{urlencode({name: value})}")
    if body_schema is None:
        return
    for name, schema in body_schema.get("properties", {}).items():
        for value in _bad_values(schema):
            data = json.dumps({**base, name: value})
            send(f"{name}={value!r}", data=data, content_type="application/json")


def test_no_api_operation_fails_on_bad_values(world: World) -> None:
    admin_token = create_api_token(world.admin, name="walk")
    document = Client(HTTP_AUTHORIZATION=f"Bearer {admin_token}").get("/api/v1/openapi.json")
    operations = _operations(document.json())
    assert len(operations) > 40  # the document was read
    walk = Walk()
    for operation in operations:
        client = _client_for(operation, world, admin_token)
        _walk_operation(operation, world, client, walk)
    assert not walk.failures, walk.report()
    assert walk.sent > 500


# --- the web pages, from the URL resolver ------------------------------------------------


def _list_pages() -> list[str]:
    """Every page without a path parameter, in English (French pages run
    the same views): lists, dashboards, forms, the admin's lists."""
    pages: list[str] = []

    def visit(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                visit(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                full = prefix + route
                if "<" in full or "^" in full or "(?P" in full:
                    continue  # parameters, regex catch-alls
                if full.startswith(("api/", "fr/", "i18n/", "static/")) or "/live/" in full:
                    continue  # the API is walked above; live streams wait for events
                if full.endswith(("logout/", ".js", ".json", ".xml")):
                    continue
                if "/" + full in OPERATIONS_PATHS:
                    continue  # for machines, read no parameter; /readyz's 503 is an answer
                pages.append("/" + full)

    visit(get_resolver().url_patterns, "")
    return sorted(set(pages))


class _SearchFields(HTMLParser):
    """The parameters a page reads from its query string, as far as the page
    itself shows: the fields of its GET forms (searches, filters) and the
    parameters of its links to itself (periods, sorting, pages)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.form_names: set[str] = set()
        self._in_get_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self._in_get_form = (attributes.get("method") or "get").lower() == "get"
        elif tag in ("input", "select", "textarea") and self._in_get_form:
            name = attributes.get("name")
            if name and attributes.get("type") not in ("submit", "button"):
                self.form_names.add(name)
                self.names.add(name)
        elif tag == "a" and (attributes.get("href") or "").startswith("?"):
            self.names.update(parse_qs(str(attributes["href"])[1:], keep_blank_values=True))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_get_form = False


def _search_fields(client: Client, page: str) -> list[str]:
    response = client.get(page)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return ["page"]
    parser = _SearchFields()
    parser.feed(response.content.decode("utf-8"))
    if "/admin/" in page:
        # Django's admin builds its filter links itself and reads their
        # values with its own lookups (a date-hierarchy year, axes' date
        # ranges), which are Django's to check: only its search form is walked.
        return sorted(parser.form_names | {"page"})
    return sorted(parser.names | {"page"})


def test_no_web_list_page_fails_on_bad_values(world: World) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(world.admin)
    pages = _list_pages()
    assert "/en/incidents/" in pages and "/en/action-items/" in pages
    walk = Walk()
    for page in pages:
        for name in _search_fields(client, page):
            for value in PARAMETER_VALUES:
                walk.send(client, "get", f"{page}?{urlencode({name: value})}", f"{name}={value!r}")
    assert not walk.failures, walk.report()
    assert walk.sent > 100


# --- web forms ----------------------------------------------------------------------------


@pytest.fixture
def responder_page(world: World) -> Client:
    client = Client(raise_request_exception=False)
    assert world.incident.created_by is not None
    client.force_login(world.incident.created_by)
    return client


def _text(response: Any) -> str:
    return str(response.content.decode("utf-8"))


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/en/", {"title": "Shop \x00 down"}),
        ("/en/incidents/{ref}/timeline/", {"body": "Rolled \x00 back", "kind": "note"}),
        ("/en/incidents/{ref}/tasks/", {"title": "\x00"}),
    ],
)
def test_a_form_with_a_nul_says_so_and_changes_nothing(
    world: World, responder_page: Client, path: str, form: dict[str, str]
) -> None:
    before = _row_counts()
    response = responder_page.post(path.format(ref=world.incident.ref), form)
    assert response.status_code == 400
    assert "NUL character" in _text(response)
    assert "Nothing was changed" in _text(response)
    assert _row_counts() == before


def test_a_search_with_a_nul_says_so(world: World, responder_page: Client) -> None:
    response = responder_page.get("/en/incidents/", {"q": "shop\x00"})
    assert response.status_code == 400
    assert "The field q contains a NUL character" in _text(response)


@pytest.mark.parametrize("name", ["until", "since"])
def test_a_list_filter_out_of_range_is_a_form_error(
    world: World, responder_page: Client, name: str
) -> None:
    response = responder_page.get("/en/incidents/", {name: "9999-12-31"})
    assert response.status_code == 400
    assert "9999-12-31 is out of range: use a date between 1900-01-01 and 2999-12-31." in _text(
        response
    )


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "9999-12-31T23:59", "1899-12-31T23:59"])
def test_a_back_dated_entry_out_of_range_is_a_form_error(
    world: World, responder_page: Client, moment: str
) -> None:
    """Year 1 in Kiritimati (UTC+14) is year 0 in UTC: it used to fail on save."""
    amira = world.incident.created_by
    assert amira is not None
    amira.profile.timezone = "Pacific/Kiritimati"
    amira.profile.save()
    before = _row_counts()
    response = responder_page.post(
        f"/en/incidents/{world.incident.ref}/timeline/",
        {"body": "Rolled back", "kind": "note", "occurred_at": moment},
    )
    assert response.status_code == 422
    assert "is out of range: use a date between 1900-01-01 and 2999-12-31." in _text(response)
    assert _row_counts() == before


def test_an_impact_time_out_of_range_is_a_form_error(world: World, responder_page: Client) -> None:
    incident = world.incident
    form = {
        "title": incident.title,
        "initial-title": incident.title,
        "severity": str(incident.severity),
        "initial-severity": str(incident.severity),
        "impact_started_at": "0001-01-01T00:00",
    }
    before = _row_counts()
    response = responder_page.post(f"/en/incidents/{incident.ref}/details/", form)
    assert response.status_code == 422
    assert "is out of range" in _text(response)
    assert _row_counts() == before


def test_a_section_saved_from_an_impossible_version_is_refused(
    world: World, responder_page: Client
) -> None:
    """The next version (base + 1) is written: past 64 bits it used to fail."""
    before = _row_counts()
    response = responder_page.post(
        f"/en/postmortems/{world.postmortem.pk}/edit/{world.section.key}/",
        {"body": "New text", "base_version": str(2**63 - 1), "language": world.section.language},
    )
    assert response.status_code == 422
    assert "base_version must be the section version you started from" in _text(response)
    assert _row_counts() == before


def test_an_action_item_due_out_of_range_is_a_form_error(
    world: World, responder_page: Client
) -> None:
    """The web form passes the date to the service as typed; the service
    keeps to the same range as the API."""
    before = _row_counts()
    form = {
        "title": "Alert on replica lag",
        "owner": "amira",
        "due": "9999-12-31",
        "incident": world.incident.ref,
        "priority": "medium",
        "kind": "prevent",
    }
    response = responder_page.post("/en/action-items/new/", form)
    assert response.status_code == 422
    assert "9999-12-31 is out of range" in _text(response)
    assert _row_counts() == before


def test_a_postmortem_due_out_of_range_is_a_form_error(
    world: World, responder_page: Client
) -> None:
    postmortem = world.postmortem
    before = _row_counts()
    response = responder_page.post(
        f"/en/postmortems/{postmortem.pk}/details/",
        {"title": postmortem.title, "due_on": "0001-01-01"},
    )
    assert response.status_code == 422
    assert "0001-01-01 is out of range" in _text(response)
    assert _row_counts() == before


def test_a_page_reading_json_refuses_a_lone_surrogate(world: World, responder_page: Client) -> None:
    """The editor's preview reads a JSON body: half a character could not be
    written into the HTML it answers."""
    response = responder_page.post(
        f"/en/postmortems/{world.postmortem.pk}/preview/",
        '{"text": "Rolled \\ud800 back"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "lone UTF-16 surrogate" in _text(response)
