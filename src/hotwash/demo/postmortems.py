"""Demo postmortems: one published (in English and French), one in review,
and two retrospectives, so every stage of the workflow has an example.

Called by `hotwash demo` after the incident stories have played; resolving
those incidents has already drafted their postmortems by policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from hotwash.incidents.models import Incident
from hotwash.policies import postmortem_rule
from hotwash.postmortems import services
from hotwash.postmortems.models import Postmortem
from hotwash.postmortems.services import CHECKLIST_KEYS

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
        "impact_end_users": "Personne n'a pu consulter la boutique ni acheter pendant 21 minutes.",
        "trigger": "Le certificat a atteint sa date d'expiration.",
    },
}

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


def _fill(postmortem: Postmortem, actor: User, language: str, texts: Mapping[str, str]) -> None:
    versions = dict(postmortem.sections.filter(language=language).values_list("key", "version"))
    for key, body in texts.items():
        services.save_section(
            postmortem,
            actor=actor,
            key=key,
            language=language,
            body=body,
            base_version=versions.get(key, 0),
        )


def _incident_postmortem(title: str, actor: User) -> Postmortem | None:
    incident = Incident.objects.filter(title=title).order_by("-pk").first()
    if incident is None:
        return None
    postmortem = Postmortem.objects.filter(incident=incident).first()
    return postmortem or services.draft_for_incident(incident, actor=actor)


def load_demo_postmortems(users: Mapping[str, User]) -> list[Postmortem]:
    amira, sam, jonas = users["amira"], users["sam"], users["jonas"]
    created: list[Postmortem] = []

    published = _incident_postmortem(TLS_TITLE, sam)
    if published is not None and published.status == "draft":
        services.update_postmortem(
            published, actor=sam, changes={"template": "default", "tags": ["tls", "alerting"]}
        )
        for language, texts in TLS_SECTIONS.items():
            _fill(published, sam, language, texts)
        services.set_reviewers(published, actor=sam, usernames=[amira.username])
        services.transition(published, actor=sam, action="request_review")
        for key in CHECKLIST_KEYS:
            services.set_checklist_item(published, actor=amira, key=key, checked=True)
        services.transition(published, actor=amira, action="approve")
        services.update_postmortem(published, actor=sam, changes={"public": True})
        services.transition(published, actor=sam, action="publish")
        created.append(published)

    in_review = _incident_postmortem(FAILOVER_TITLE, amira)
    if in_review is not None and in_review.status == "draft":
        _fill(in_review, amira, "en", FAILOVER_SECTIONS)
        services.set_reviewers(in_review, actor=amira, usernames=[jonas.username])
        services.transition(in_review, actor=amira, action="request_review")
        created.append(in_review)

    if not Postmortem.objects.filter(kind="success").exists():
        success = services.create_retrospective(
            actor=jonas,
            kind="success",
            title="Orders database upgraded with no downtime",
            services=["orders-db"],
            tags=["database", "upgrade"],
        )
        _fill(
            success,
            jonas,
            "en",
            {
                "summary": "The orders database moved to a new major version during the day.",
                "went_well": "A full rehearsal on a copy of production a week before.",
            },
        )
        created.append(success)
    if not Postmortem.objects.filter(kind="project").exists():
        created.append(
            services.create_retrospective(
                actor=amira,
                kind="project",
                title="Card provider integration took three months longer than planned",
                services=["payments API"],
                period_start="2026-03-01",
                period_end="2026-08-31",
            )
        )
    return created


def settle_postmortem_times() -> None:
    """Date each incident postmortem from its incident's resolution, as if
    it had been drafted then: due dates follow policy, so old required ones
    the story left unfinished show as overdue."""
    for postmortem in Postmortem.objects.filter(incident__isnull=False).select_related("incident"):
        incident = postmortem.incident
        assert incident is not None
        if incident.resolved_at is None:
            continue
        drafted = incident.resolved_at
        finished = incident.closed_at or drafted
        postmortem.created_at = drafted
        postmortem.updated_at = finished
        postmortem.due_on = postmortem_rule(incident.severity).due_date(timezone.localdate(drafted))
        for field in ("review_requested_at", "approved_at", "published_at"):
            if getattr(postmortem, field):
                setattr(postmortem, field, min(finished, drafted + timedelta(days=1)))
        postmortem.save()
