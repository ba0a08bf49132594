"""The authorisation walk: every page and every API operation, as every kind
of person, against private incidents and everything hanging off them.

The list of places comes from the URL resolver (pages, live streams, public
pages) and from the OpenAPI document (API operations), so a new endpoint is
walked without editing this test. A path parameter the walk cannot fill
fails the test, naming it: teach `PARAMETERS` what it points at.

Two private incidents make up the secret world:
- one that was shared first (postmortem published and public, action item,
  comment, timeline, task, roles) and then made private;
- one that a data-loss alert opened as private, with its alert group, policy
  firing, heartbeat and escalation proposal.

For each person who may not see them (anonymous, a viewer, a responder who
is not a participant) the walk checks that
- no page, list, export, count or search answers differently because the
  secret world exists (the same requests are made before and after it is
  built, at the same frozen instant, and must answer byte for byte the same,
  once CSRF tokens and nonces are set aside);
- every place about a private object answers exactly as it does for an
  object that does not exist ("not found" never differs from "forbidden"),
  and shows none of its words;
- no write aimed at a private object changes anything.
A participant and an admin walk too, so the test cannot pass by hiding
everything from everyone.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import User
from django.db import models
from django.forms.models import model_to_dict
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
from hotwash.incidents.models import Incident, IncidentLink, Task, TimelineEvent
from hotwash.postmortems import services as postmortems
from hotwash.postmortems.models import ChecklistItem, Comment, Postmortem, Section
from hotwash.reports import services as reports
from hotwash.reports.models import Report
from hotwash.triggers import engine
from hotwash.triggers.models import Heartbeat, PolicyFiring, Proposal

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar"  # every private fact carries this word
MISSING_ID = 987654321
FROZEN = datetime(2031, 3, 4, 5, 6, tzinfo=UTC)

PERSONAS_WHO_MAY_NOT_SEE = ("anonymous", "viewer", "outsider")
PERSONAS_WHO_SEE = ("participant", "admin")


# --- the people -------------------------------------------------------------------


@dataclass
class Persona:
    name: str
    page: Client
    api: Client


def _personas() -> dict[str, Persona]:
    people = {
        "viewer": create_user("vera", password="correct horse 42", role=Role.VIEWER),
        "outsider": create_user("otto", password="correct horse 42", role=Role.RESPONDER),
        "participant": create_user(
            "paula", password="correct horse 42", role=Role.RESPONDER, first_name="Paula"
        ),
        "admin": create_user("ada", password="correct horse 42", role=Role.ADMIN),
    }
    personas = {"anonymous": Persona("anonymous", Client(), Client())}
    for name, user in people.items():
        page = Client()
        page.force_login(user)
        token = create_api_token(user, name="walk")
        personas[name] = Persona(name, page, Client(HTTP_AUTHORIZATION=f"Bearer {token}"))
    return personas


# --- the worlds -------------------------------------------------------------------


def _build_public_world(paula: User) -> None:
    """Ordinary, shared work, so lists and counts have something in them."""
    for title in ("Checkout slow", "Search errors", "Login loop"):
        incidents.declare_incident(actor=paula, title=title, severity=3)
    shared = incidents.declare_incident(actor=paula, title="Cart empty", severity=2)
    incidents.add_timeline_event(shared, actor=paula, body="Rolled back the cart service")
    incidents.update_incident(shared, actor=paula, changes={"status": "resolved"})
    postmortem = Postmortem.objects.get(incident=shared)
    Postmortem.objects.filter(pk=postmortem.pk).update(
        status="published", public=True, published_at=FROZEN - timedelta(days=1)
    )
    create_action_item(actor=paula, title="Alert on empty carts", owner=paula, incident=shared)


@dataclass
class SecretWorld:
    shared_then_private: Incident
    opened_private: Incident
    postmortem: Postmortem
    item: ActionItem
    event: TimelineEvent
    task: Task
    comment: Comment
    group: AlertGroup
    proposal: Proposal
    heartbeat: Heartbeat
    report: Report
    link: IncidentLink
    markers: list[re.Pattern[str]] = field(default_factory=list)


def _build_secret_world(paula: User, admin: User) -> SecretWorld:
    incident = incidents.declare_incident(
        actor=paula,
        title=f"{SECRET} payroll export lost",
        severity=2,
        summary=f"{SECRET} summary",
        impact=f"{SECRET} impact",
    )
    event = incidents.add_timeline_event(incident, actor=paula, body=f"{SECRET} note")
    incidents.assign_role(incident, actor=paula, role="commander", user=paula)
    task = incidents.add_task(incident, actor=paula, title=f"{SECRET} task")
    incidents.update_incident(incident, actor=paula, changes={"status": "resolved"})
    postmortem = Postmortem.objects.get(incident=incident)
    Section.objects.filter(postmortem=postmortem).update(body=f"{SECRET} section text")
    Postmortem.objects.filter(pk=postmortem.pk).update(
        status="published", public=True, published_at=FROZEN - timedelta(hours=1)
    )
    comment = postmortems.add_comment(postmortem, actor=paula, body=f"{SECRET} comment")
    item = create_action_item(
        actor=paula, title=f"{SECRET} follow-up", owner=paula, incident=incident
    )
    # Shared first, private now: the case that leaked.
    incident = incidents.update_incident(incident, actor=paula, changes={"private": True})

    engine.forget_claims()
    source = create_source(name="prometheus", kind="alertmanager")[0]
    labels = {
        "alertname": "BackupMissing",
        "service": f"{SECRET.lower()}-billing",
        "category": "data-loss",
        "severity": "warning",
    }
    ingest(
        source,
        [
            IncomingAlert(
                fingerprint="backup-missing",
                status="firing",
                labels=labels,
                annotations={"summary": f"{SECRET} backups missing"},
                starts_at=FROZEN - timedelta(hours=2),
                ends_at=None,
                generator_url="http://prometheus.example:9090/graph",
                group_key="backups",
                group_labels={"alertname": "BackupMissing"},
            )
        ],
    )
    engine.forget_claims()
    group = AlertGroup.objects.get(group_key="backups")
    assert group.incident_id is not None
    opened = Incident.objects.get(pk=group.incident_id)
    assert opened.private, "the shipped data-loss policy opens a private incident"
    incidents.add_participant(opened, actor=admin, user=paula)
    # Linked to each other: the link is as private as either end.
    link = linking.link_incidents(opened, actor=paula, to=incident, kind="caused_by")
    firing = PolicyFiring.objects.filter(incident=opened).first()
    assert firing is not None
    proposal = Proposal.objects.create(
        firing=firing,
        kind="escalate",
        status="open",
        title=f"Escalate {opened.ref} ({SECRET})",
        details={"why": SECRET},
        incident=opened,
        created_at=FROZEN - timedelta(minutes=30),
    )
    heartbeat = Heartbeat.objects.create(
        name="backup-job",
        status="down",
        last_ping_at=FROZEN - timedelta(hours=3),
        last_source="api",
        down_since=FROZEN - timedelta(hours=2),
        incident=opened,
        created_at=FROZEN - timedelta(days=3),
    )
    # A near miss Paula filed with her name (hers and the reviewers' only,
    # the admin reviewing), and an anonymous one nobody but reviewers reads.
    report = reports.file_report(
        author=paula, kind="near-miss", text=f"{SECRET} near miss", anonymous=False
    )
    reports.add_comment(report, actor=admin, body=f"{SECRET} reviewers' comment")
    reports.file_report(author=paula, kind="concern", text=f"{SECRET} concern", anonymous=True)
    world = SecretWorld(
        shared_then_private=incident,
        opened_private=opened,
        postmortem=postmortem,
        item=item,
        event=event,
        task=task,
        comment=comment,
        group=group,
        proposal=proposal,
        heartbeat=heartbeat,
        report=report,
        link=link,
    )
    world.markers = [
        re.compile(SECRET, re.IGNORECASE),
        *(re.compile(rf"\b{re.escape(ref)}\b") for ref in _secret_refs(world)),
    ]
    return world


def _secret_refs(world: SecretWorld) -> list[str]:
    return [
        world.shared_then_private.ref,
        world.opened_private.ref,
        world.postmortem.ref,
        world.item.ref,
        world.report.ref,
    ]


# --- the places -------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    method: str
    template: str  # with {name} for each parameter
    parameters: tuple[str, ...]
    api: bool

    def path(self, values: dict[str, str]) -> str:
        return self.template.format(**values)


_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _page_places() -> list[Place]:
    """Every page, live stream and public page the URL resolver knows, in
    English (French pages run the same views)."""
    places: list[Place] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                full = prefix + route
                if full.startswith("api/") or "^" in full or "(?P" in full:
                    continue  # the API comes from OpenAPI; regex routes are catch-alls
                if full.startswith(("en/admin/", "i18n/")) and "<" in full:
                    continue  # admin object pages: admins only, walked by Django's own tests
                names = tuple(m.group("name") for m in _CONVERTER.finditer(full))
                template = "/" + _CONVERTER.sub(lambda m: "{" + m.group("name") + "}", full)
                places.append(Place("GET", template, names, api=False))
                if names and not full.startswith("en/admin/"):
                    places.append(Place("POST", template, names, api=False))

    walk(get_resolver().url_patterns, "")
    return [p for p in places if not p.template.startswith(("/fr/",))]


def _api_places(client: Client) -> list[Place]:
    document = client.get("/api/v1/openapi.json").json()
    places = []
    for path, operations in document["paths"].items():
        names = tuple(re.findall(r"{([^}]+)}", path))
        for method in operations:
            places.append(Place(method.upper(), path, names, api=True))
    return places


# Which object each path parameter names, by the path segment before it.
# Each entry: (segment before the parameter, parameter) -> (world -> value).
Filler = Callable[[SecretWorld], str]
PARAMETERS: dict[tuple[str, str], Filler] = {
    ("incidents", "ref"): lambda w: w.shared_then_private.ref,
    ("incidents", "pk"): lambda w: str(w.shared_then_private.pk),
    ("postmortems", "ref"): lambda w: w.postmortem.ref,
    ("postmortems", "pk"): lambda w: str(w.postmortem.pk),
    ("public", "pk"): lambda w: str(w.postmortem.pk),
    ("action-items", "ref"): lambda w: w.item.ref,
    ("action-items", "pk"): lambda w: str(w.item.pk),
    ("items", "ref"): lambda w: w.item.ref,
    ("timeline", "entry_id"): lambda w: str(w.event.pk),
    ("timeline", "event_id"): lambda w: str(w.event.pk),
    ("tasks", "task_id"): lambda w: str(w.task.pk),
    ("comments", "comment_id"): lambda w: str(w.comment.pk),
    ("edit", "key"): lambda w: _section_key(w),
    ("sections", "key"): lambda w: _section_key(w),
    ("{key}", "language"): lambda w: "en",
    ("roles", "role"): lambda w: "commander",
    ("checklist", "item"): lambda w: _checklist_key(w),
    ("groups", "pk"): lambda w: str(w.group.pk),
    ("groups", "group_id"): lambda w: str(w.group.pk),
    ("proposals", "proposal_id"): lambda w: str(w.proposal.pk),
    ("heartbeats", "name"): lambda w: w.heartbeat.name,
    ("reports", "pk"): lambda w: str(w.report.pk),
    ("reports", "ref"): lambda w: w.report.ref,
    ("links", "link_id"): lambda w: str(w.link.pk),
}
# Parameters that name something with no privacy of its own.
NOT_PRIVATE = {
    ("trackers", "tracker_id"),
    ("tokens", "token_id"),
    # The status page: public services and signed subscription links.
    ("status", "service"),
    ("confirm", "token"),
    ("unsubscribe", "token"),
    ("services", "name"),
    # A webhook subscription: admins only, not about any incident.
    ("webhooks", "webhook_id"),
    # A person's own chat identities (others' answer 404) and the signed
    # link that links one: about no incident.
    ("accounts", "identity_id"),
    ("link", "token"),
}
# The parameters that stay as they are in the "does not exist" variant.
SAME_WHEN_MISSING = {"language", "role", "key", "item"}


def _section_key(world: SecretWorld) -> str:
    return str(Section.objects.filter(postmortem=world.postmortem).values_list("key", flat=True)[0])


def _checklist_key(world: SecretWorld) -> str:
    key = ChecklistItem.objects.filter(postmortem=world.postmortem).values_list("key", flat=True)
    return str(key[0]) if key else "timeline-complete"


def _segment_before(template: str, name: str) -> str:
    parts = [p for p in template.split("/") if p]
    index = parts.index("{" + name + "}")
    return parts[index - 1] if index else ""


def _fill(place: Place, world: SecretWorld) -> tuple[dict[str, str], dict[str, str]] | None:
    """The parameter values naming the secret world, and the same place's
    values for objects that do not exist; None for a place about nothing
    private."""
    secret: dict[str, str] = {}
    missing: dict[str, str] = {}
    for name in place.parameters:
        segment = _segment_before(place.template, name)
        if (segment, name) in NOT_PRIVATE:
            return None
        filler = PARAMETERS.get((segment, name))
        assert filler is not None, (
            f"The authorisation walk does not know what {{{name}}} names in {place.template}: "
            "add it to PARAMETERS (or NOT_PRIVATE) in tests/security/test_authorization_walk.py."
        )
        secret[name] = filler(world)
        missing[name] = secret[name] if name in SAME_WHEN_MISSING else _missing_like(secret[name])
    return secret, missing


def _missing_like(value: str) -> str:
    prefix, dash, _number = value.rpartition("-")
    if dash and prefix.isalpha():
        return f"{prefix}-{MISSING_ID}"
    return str(MISSING_ID) if value.isdigit() else f"no-such-{value}"


# --- asking -----------------------------------------------------------------------

_VOLATILE = [
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'),
    re.compile(r'nonce="[^"]*"'),
    re.compile(r"'nonce-[^']*'"),
]


@dataclass
class Answer:
    status: int
    location: str
    text: str


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        # A live stream that opened: read nothing (it would wait for events).
        response.close()
        return "<stream>"
    content: bytes = response.content
    kind = response.get("Content-Type", "")
    if "zip" in kind:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    text = content.decode("utf-8", "replace")
    for volatile in _VOLATILE:
        text = volatile.sub("", text)
    return text


def _ask(persona: Persona, place: Place, path: str, **extra: Any) -> Answer:
    client = persona.api if place.api else persona.page
    method = getattr(client, place.method.lower())
    if place.method == "GET":
        response = method(path, **extra)
    else:
        response = method(path, data=json.dumps({}), content_type="application/json", **extra)
    return Answer(response.status_code, response.get("Location", ""), _text(response))


def _exposed(answer: Answer, world: SecretWorld, echoed: list[str]) -> list[str]:
    text = answer.text + " " + answer.location
    for value in echoed:  # what the asker wrote in the URL may come back to them
        text = text.replace(value, "")
    return [m.pattern for m in world.markers if m.search(text)]


def _snapshot(world: SecretWorld) -> dict[str, Any]:
    """Everything that a refused write must leave as it was."""
    counts = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label
        in {"incidents", "postmortems", "actions", "alerts", "triggers", "trackers", "reports"}
    }
    rows: list[models.Model] = [
        Incident.objects.get(pk=world.shared_then_private.pk),
        Incident.objects.get(pk=world.opened_private.pk),
        Postmortem.objects.get(pk=world.postmortem.pk),
        ActionItem.objects.get(pk=world.item.pk),
        TimelineEvent.objects.get(pk=world.event.pk),
        Task.objects.get(pk=world.task.pk),
        Comment.objects.get(pk=world.comment.pk),
        Proposal.objects.get(pk=world.proposal.pk),
        Report.objects.get(pk=world.report.pk),
    ]
    return {"counts": counts, "rows": [repr(model_to_dict(row)) for row in rows]}


# --- the walk ---------------------------------------------------------------------


@dataclass
class Walk:
    personas: dict[str, Persona]
    world: SecretWorld
    places: list[Place]
    before: dict[tuple[str, str, str], Answer]


def _walk(asked_before: str | None) -> Walk:
    """The world and the places; with `asked_before`, that persona's answers
    on every plain place before the secret world exists (asked only for the
    test that compares them: they are most of the walk's cost)."""
    personas = _personas()
    paula = User.objects.get(username="paula")
    admin = User.objects.get(username="ada")
    _build_public_world(paula)
    places = _page_places() + _api_places(personas["admin"].api)
    plain = [p for p in places if not p.parameters and p.method == "GET"]
    before: dict[tuple[str, str, str], Answer] = {}
    with time_machine.travel(FROZEN, tick=False):
        for name in [asked_before] if asked_before else []:
            for place in plain:
                for path in _plain_paths(place):
                    before[(name, place.method, path)] = _ask(personas[name], place, path)
    world = _build_secret_world(paula, admin)
    return Walk(personas, world, places, before)


@pytest.fixture
def walk(db: None) -> Walk:
    return _walk(None)


@pytest.fixture
def compared_walk(db: None, persona: str) -> Walk:
    """`walk`, with the persona's answers from before the secret world."""
    return _walk(persona)


def _plain_paths(place: Place) -> list[str]:
    """A parameterless place, plainly and as a search for the secret word.
    Not /metrics: its request counters move with every request, so it never
    answers twice alike; that it counts private incidents and says nothing
    else of them is tests/operations/test_metrics.py's, and who may read it
    is HOTWASH_METRICS_TOKEN's (docs/operations.md)."""
    if "/live/" in place.template or place.template.endswith(("logout/", "openapi.json")):
        return []
    if place.template == "/metrics":
        return []
    return [place.template, f"{place.template}?q={SECRET}"]


@pytest.mark.parametrize("persona", PERSONAS_WHO_MAY_NOT_SEE)
def test_nothing_private_shows_to_those_who_may_not_see_it(
    compared_walk: Walk, persona: str
) -> None:
    walk = compared_walk
    assert walk.before, "nothing was asked before the secret world existed"
    problems: list[str] = []
    who = walk.personas[persona]
    with time_machine.travel(FROZEN, tick=False):
        for (name, method, path), earlier in walk.before.items():
            if name != persona:
                continue
            place = next(p for p in walk.places if p.method == method and _matches(p, path))
            now = _ask(who, place, path)
            if (now.status, now.location, now.text) != (
                earlier.status,
                earlier.location,
                earlier.text,
            ):
                problems.append(
                    f"{method} {path}: answers differently once private incidents exist "
                    f"({earlier.status} -> {now.status}; exposed: "
                    f"{_exposed(now, walk.world, []) or 'counts or order'})"
                )
        for place in walk.places:
            filled = _fill(place, walk.world) if place.parameters else None
            if filled is None:
                continue
            secret, missing = filled
            if place.method != "GET":
                continue
            problems += _compare(who, place, secret, missing, walk.world)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("persona", PERSONAS_WHO_MAY_NOT_SEE)
def test_no_write_reaches_a_private_object(walk: Walk, persona: str) -> None:
    problems: list[str] = []
    who = walk.personas[persona]
    for place in walk.places:
        if place.method == "GET" or not place.parameters:
            continue
        filled = _fill(place, walk.world)
        if filled is None:
            continue
        secret, missing = filled
        before = _snapshot(walk.world)
        problems += _compare(who, place, secret, missing, walk.world)
        if _snapshot(walk.world) != before:
            problems.append(f"{place.method} {place.path(secret)}: changed a private object")
    for url, body in _writes_naming_a_private_incident(walk.world):
        before = _snapshot(walk.world)
        client = who.api
        secret_answer = client.post(url, data=json.dumps(body), content_type="application/json")
        missing_body = json.loads(
            json.dumps(body).replace(walk.world.shared_then_private.ref, f"INC-{MISSING_ID}")
        )
        missing_answer = client.post(
            url, data=json.dumps(missing_body), content_type="application/json"
        )
        if secret_answer.status_code != missing_answer.status_code:
            problems.append(
                f"POST {url} naming a private incident: {secret_answer.status_code}, "
                f"but {missing_answer.status_code} for one that does not exist"
            )
        if _snapshot(walk.world) != before:
            problems.append(f"POST {url} naming a private incident changed something")
    assert not problems, "\n".join(problems)


def _writes_naming_a_private_incident(world: SecretWorld) -> list[tuple[str, dict[str, Any]]]:
    ref = world.shared_then_private.ref
    return [
        ("/api/v1/action-items", {"title": "Peek", "owner": "otto", "incident": ref}),
        ("/api/v1/postmortems", {"kind": "incident", "incident": ref}),
    ]


def _matches(place: Place, path: str) -> bool:
    return path.split("?")[0] == place.template


def _compare(
    who: Persona, place: Place, secret: dict[str, str], missing: dict[str, str], world: SecretWorld
) -> list[str]:
    secret_path, missing_path = place.path(secret), place.path(missing)
    about_secret = _ask(who, place, secret_path)
    about_nothing = _ask(who, place, missing_path)
    problems = []
    echoed = [v for v in secret.values() if not v.isdigit()] + [secret_path]
    if exposed := _exposed(about_secret, world, echoed):
        problems.append(f"{place.method} {secret_path}: shows {exposed}")
    if about_secret.status != about_nothing.status:
        problems.append(
            f"{place.method} {secret_path}: {about_secret.status}, but "
            f"{about_nothing.status} for {missing_path}"
        )
    elif place.api and about_secret.text != _echo(about_nothing.text, secret, missing):
        problems.append(
            f"{place.method} {secret_path}: says something else than for {missing_path}: "
            f"{about_secret.text[:200]!r} / {about_nothing.text[:200]!r}"
        )
    return problems


def _echo(text: str, secret: dict[str, str], missing: dict[str, str]) -> str:
    """The "does not exist" answer, with the asker's own words put back."""
    for name, value in missing.items():
        text = text.replace(value, secret[name])
    return text


@pytest.mark.parametrize("persona", PERSONAS_WHO_SEE)
def test_those_who_may_see_do_see(walk: Walk, persona: str) -> None:
    """The walk reaches the secret world: a participant and an admin read it."""
    who = walk.personas[persona]
    world = walk.world
    for path in (
        f"/en/incidents/{world.shared_then_private.ref}/",
        f"/en/incidents/{world.opened_private.ref}/",
        f"/en/postmortems/{world.postmortem.pk}/",
        f"/en/action-items/{world.item.pk}/",
        f"/en/alerts/groups/{world.group.pk}/",
        f"/en/reports/{world.report.pk}/",  # Paula filed it; the admin reviews
    ):
        response = who.page.get(path)
        assert response.status_code == 200, path
        assert SECRET.lower() in response.content.decode().lower(), path
    for path in (
        f"/api/v1/incidents/{world.shared_then_private.ref}",
        f"/api/v1/postmortems/{world.postmortem.ref}",
        f"/api/v1/action-items/{world.item.ref}",
        f"/api/v1/alerts/groups/{world.group.pk}",
        f"/api/v1/reports/{world.report.ref}",
    ):
        response = who.api.get(path)
        assert response.status_code == 200, path
        assert SECRET.lower() in response.content.decode().lower(), path
