"""Demo postmortems: one published (in English and French), one in review,
and two retrospectives, so every stage of the workflow has an example.

Resolving an incident in its story drafts its postmortem by policy; the
scenes here write and review two of them in the days after, before their
incidents are closed, and write the retrospectives of a success some weeks
ago and of a project last week.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import partial

from django.contrib.auth.models import User

from hotwash.demo.incidents import DAY, story_named
from hotwash.demo.schedule import Scene
from hotwash.incidents.models import Incident
from hotwash.postmortems import services
from hotwash.postmortems.models import Kind, Postmortem, Status
from hotwash.postmortems.services import CHECKLIST_KEYS
from hotwash.sharing import services as sharing

TLS_TITLE = "Shop front down after its TLS certificate expired"
FAILOVER_TITLE = "Database failover during maintenance took checkout offline"

TLS_SECTIONS = {
    "en": {
        "summary": (
            "The shop's TLS certificate expired on a Saturday morning. Every browser refused "
            "the connection for about twenty minutes, until a certificate renewed by hand "
            "was installed."
        ),
        "impact_end_users": "Nobody could browse or buy for 21 minutes.",
        "impact_staff": "Support answered about 140 messages; two people were paged.",
        "trigger": "The certificate reached its expiry date.",
        "detection": (
            "Customers noticed first. The renewal job had been failing for 30 days and its "
            "alert was routed to a chat channel that no longer existed."
        ),
        "contributing_factors": (
            "1. Why did the certificate expire? The renewal job failed every night.\n"
            "2. Why did nobody know? Its alert went to a deleted channel.\n"
            "3. Why was that possible? Alert routes are not checked when channels change.\n"
            "4. Why not? Routing lives in a file nobody owns."
        ),
        "resolution": "A certificate was renewed by hand and the load balancers reloaded.",
        "went_well": "The status page was updated within nine minutes.",
        "went_wrong": "Renewing by hand needed a runbook nobody had used in a year.",
        "got_lucky": "It happened at a quiet time of the week.",
    },
    "fr": {
        "summary": (
            "Le certificat TLS de la boutique a expiré un samedi matin. Tous les navigateurs "
            "ont refusé la connexion pendant une vingtaine de minutes, jusqu'à l'installation "
            "d'un certificat renouvelé à la main."
        ),
        "impact": (
            "Tous les navigateurs affichent une erreur de certificat sur la boutique ; personne "
            "ne peut la consulter ni acheter."
        ),
        "impact_end_users": "Personne n'a pu consulter la boutique ni acheter pendant 21 minutes.",
        "impact_staff": (
            "Le support a répondu à environ 140 messages ; deux personnes ont été appelées."
        ),
        "trigger": "Le certificat a atteint sa date d'expiration.",
        "detection": (
            "Les clients l'ont remarqué en premier. La tâche de renouvellement échouait depuis "
            "30 jours et son alerte partait vers un canal de discussion qui n'existait plus."
        ),
        "contributing_factors": (
            "1. Pourquoi le certificat a-t-il expiré ? La tâche de renouvellement échouait "
            "chaque nuit.\n"
            "2. Pourquoi personne ne le savait ? Son alerte partait vers un canal supprimé.\n"
            "3. Pourquoi était-ce possible ? Les routes d'alerte ne sont pas vérifiées quand "
            "les canaux changent.\n"
            "4. Pourquoi ? Le routage vit dans un fichier qui n'appartient à personne."
        ),
        "resolution": (
            "Un certificat a été renouvelé à la main et les répartiteurs de charge rechargés."
        ),
        "went_well": "La page d'état a été mise à jour en neuf minutes.",
        "went_wrong": (
            "Le renouvellement à la main demandait une procédure que personne n'avait suivie "
            "depuis un an."
        ),
        "got_lucky": "C'est arrivé à un moment calme de la semaine.",
    },
}
TLS_TITLE_FR = "Boutique hors ligne après l'expiration de son certificat TLS"

FAILOVER_SECTIONS = {
    "summary": (
        "A planned database failover promoted the replica, but checkout kept writing to the "
        "old primary and refused orders for six minutes."
    ),
    "contributing_factors": (
        "Checkout resolves the primary once at start-up and keeps the address; the failover "
        "runbook did not include restarting it."
    ),
}


def _fill(
    postmortem: Postmortem, actor: User, language: str, texts: Mapping[str, str], now: datetime
) -> None:
    versions = dict(postmortem.sections.filter(language=language).values_list("key", "version"))
    for key, body in texts.items():
        services.save_section(
            postmortem,
            actor=actor,
            key=key,
            language=language,
            body=body,
            base_version=versions.get(key, 0),
            now=now,
        )


# --- reviewing an incident's postmortem ---------------------------------------

People = Mapping[str, User]
Work = Callable[[Postmortem, People, datetime], None]


def _write_tls(postmortem: Postmortem, users: People, now: datetime) -> None:
    sam = users["sam"]
    services.update_postmortem(
        postmortem,
        actor=sam,
        changes={"template": "default", "tags": ["tls", "alerting"]},
        now=now,
    )
    for language, texts in TLS_SECTIONS.items():
        _fill(postmortem, sam, language, texts, now)


def _ask_amira(postmortem: Postmortem, users: People, now: datetime) -> None:
    sam = users["sam"]
    # A SEV1: the review policy asks for two approvals.
    reviewers = [users["amira"].username, users["jonas"].username]
    services.set_reviewers(postmortem, actor=sam, usernames=reviewers, now=now)
    services.transition(postmortem, actor=sam, action="request_review", now=now)


def _approve_tls(postmortem: Postmortem, users: People, now: datetime) -> None:
    amira = users["amira"]
    for key in CHECKLIST_KEYS:
        services.set_checklist_item(postmortem, actor=amira, key=key, checked=True, now=now)
    for reviewer in (users["jonas"], amira):
        services.transition(postmortem, actor=reviewer, action="approve", now=now)


def _publish_tls(postmortem: Postmortem, users: People, now: datetime) -> None:
    sam = users["sam"]
    services.transition(postmortem, actor=sam, action="publish", now=now)
    # Shared publicly the one way there is: its public version, reviewed and confirmed.
    sharing.prepare_public_version(postmortem, actor=sam, now=now)
    sharing.set_title(postmortem, actor=sam, language="fr", title=TLS_TITLE_FR, now=now)
    sharing.confirm_public_version(postmortem, actor=sam, confirmed=True, now=now)


def _write_failover(postmortem: Postmortem, users: People, now: datetime) -> None:
    _fill(postmortem, users["amira"], "en", FAILOVER_SECTIONS, now)


def _ask_jonas(postmortem: Postmortem, users: People, now: datetime) -> None:
    amira = users["amira"]
    services.set_reviewers(postmortem, actor=amira, usernames=[users["jonas"].username], now=now)
    services.transition(postmortem, actor=amira, action="request_review", now=now)


# Per incident: who drafts it if policy did not, and the work on it, in
# minutes after the incident's impact began (as its story's steps).
REVIEWS: tuple[tuple[str, str, tuple[tuple[float, Work], ...]], ...] = (
    (
        TLS_TITLE,
        "sam",
        (
            (DAY + 120, _write_tls),
            (DAY + 240, _ask_amira),
            (2 * DAY + 60, _approve_tls),
            (2 * DAY + 90, _publish_tls),
        ),
    ),
    (FAILOVER_TITLE, "amira", ((DAY + 60, _write_failover), (DAY + 90, _ask_jonas))),
)


class _Review:
    """One incident's postmortem worked on over the days after the incident,
    if it is still the draft its resolution left (one that someone already
    moved along is left alone)."""

    def __init__(self, title: str, drafter: str, users: People) -> None:
        self.title = title
        self.drafter = drafter
        self.users = users
        self.postmortem: Postmortem | None = None

    def scenes(self, work: tuple[tuple[float, Work], ...], present: datetime) -> list[Scene]:
        story = story_named(self.title)
        return [
            Scene(story.moment(minutes, present), partial(self._run, step, first=index == 0))
            for index, (minutes, step) in enumerate(work)
        ]

    def _run(self, step: Work, at: datetime, *, first: bool) -> None:
        if first:
            found = self._drafted(at)
            self.postmortem = found if found is not None and found.status == Status.DRAFT else None
        if self.postmortem is not None:
            self.postmortem.refresh_from_db()
            step(self.postmortem, self.users, at)

    def _drafted(self, now: datetime) -> Postmortem | None:
        incident = Incident.objects.filter(title=self.title).order_by("-pk").first()
        if incident is None:
            return None
        postmortem = Postmortem.objects.filter(incident=incident).first()
        return postmortem or services.draft_for_incident(
            incident, actor=self.users[self.drafter], now=now
        )


# --- retrospectives -------------------------------------------------------------


def _success(users: People, now: datetime) -> None:
    if Postmortem.objects.filter(kind=Kind.SUCCESS).exists():
        return
    jonas = users["jonas"]
    success = services.create_retrospective(
        actor=jonas,
        kind=Kind.SUCCESS,
        title="Orders database upgraded with no downtime",
        services=["orders-db"],
        tags=["database", "upgrade"],
        now=now,
    )
    _fill(
        success,
        jonas,
        "en",
        {
            "summary": "The orders database moved to a new major version during the day.",
            "went_well": "A full rehearsal on a copy of production a week before.",
        },
        now,
    )


def _project(users: People, now: datetime) -> None:
    if Postmortem.objects.filter(kind=Kind.PROJECT).exists():
        return
    services.create_retrospective(
        actor=users["amira"],
        kind=Kind.PROJECT,
        title="Card provider integration took three months longer than planned",
        services=["payments API"],
        period_start="2026-03-01",
        period_end="2026-08-31",
        now=now,
    )


# How long before the demo's present each retrospective was written.
RETROSPECTIVES: tuple[tuple[timedelta, Callable[[People, datetime], None]], ...] = (
    (timedelta(days=20, hours=3), _success),
    (timedelta(days=12, hours=5), _project),
)


def postmortem_scenes(users: People, present: datetime) -> list[Scene]:
    scenes: list[Scene] = []
    for title, drafter, work in REVIEWS:
        scenes.extend(_Review(title, drafter, users).scenes(work, present))
    for ago, write in RETROSPECTIVES:
        scenes.append(Scene(present - ago, partial(write, users)))
    return scenes
