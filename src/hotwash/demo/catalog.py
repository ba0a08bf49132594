"""The demo's service catalog: who owns each of the stories' services, who
to escalate to, where the runbooks are; shop and checkout are on the public
status page. Written through the YAML import (hotwash.teams.importing), as
an organisation would, when the team joins: before any of its incidents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotwash.demo.actions import DEMO_TEAMS
from hotwash.demo.schedule import Scene
from hotwash.teams.importing import CatalogFile, import_catalog
from hotwash.teams.models import Team

WIKI = "https://wiki.example.org/runbooks"

DEMO_TEAM_CONTACTS = {
    "storefront": {"email": "storefront@example.org", "chat_channel": "#storefront"},
    "platform": {
        "email": "platform@example.org",
        "chat_channel": "#platform",
        "pagerduty_routing_key_env": "HOTWASH_SECRET_PAGERDUTY_PLATFORM",
    },
}

# (name, owners, description, escalation contact, runbooks, chat channel, public name or None)
DEMO_SERVICES: tuple[
    tuple[str, tuple[str, ...], str, str, tuple[str, ...], str, str | None], ...
] = (
    (
        "shop",
        ("storefront",),
        "The online shop customers browse and buy from.",
        "Storefront on-call, then Amira Haddad",
        ("shop",),
        "#shop",
        "Online shop",
    ),
    (
        "checkout",
        ("storefront", "platform"),
        "Basket, delivery options and order placement.",
        "Storefront on-call",
        ("checkout",),
        "#checkout",
        "Checkout",
    ),
    (
        "payments API",
        ("platform",),
        "Takes card payments for checkout.",
        "Platform on-call, then the payment provider's support line",
        ("payments",),
        "#payments",
        None,
    ),
    (
        "orders-db",
        ("platform",),
        "The orders database (PostgreSQL, primary and replica).",
        "Jonas Berg (database specialist)",
        ("orders-db", "failover"),
        "#platform",
        None,
    ),
    (
        "search",
        ("storefront",),
        "Product search and suggestions.",
        "Storefront on-call",
        ("search",),
        "#storefront",
        None,
    ),
    (
        "CDN",
        ("platform",),
        "Static assets and images, through the CDN provider.",
        "Platform on-call",
        ("cdn",),
        "#platform",
        None,
    ),
    (
        "accounts",
        ("storefront",),
        "Customer sign-up, sign-in and profiles.",
        "Storefront on-call",
        ("accounts",),
        "#storefront",
        None,
    ),
    (
        "email",
        ("platform",),
        "Order confirmations and password mails.",
        "Platform on-call",
        ("email",),
        "#platform",
        None,
    ),
    (
        "exports",
        ("platform",),
        "Nightly exports to finance and the warehouse.",
        "Platform on-call",
        ("exports",),
        "#platform",
        None,
    ),
    (
        "admin console",
        ("platform",),
        "The back office staff use.",
        "Platform on-call",
        ("admin-console",),
        "#platform",
        None,
    ),
)


def _runbook(slug: str) -> dict[str, str]:
    return {"title": slug.replace("-", " ").capitalize(), "url": f"{WIKI}/{slug}"}


def demo_catalog() -> dict[str, Any]:
    """The catalog file the demo imports. Its teams only when the instance
    has none of its own (as the action items' teams), and owners only among
    the teams there are."""
    teams: list[dict[str, Any]] = []
    if not Team.objects.exists():
        teams = [
            {"slug": slug, "name": name, "members": list(members), **DEMO_TEAM_CONTACTS[slug]}
            for name, slug, members in DEMO_TEAMS
        ]
    known = {team["slug"] for team in teams} | set(Team.objects.values_list("slug", flat=True))
    services = []
    for name, owners, description, contact, runbooks, channel, public_name in DEMO_SERVICES:
        entry: dict[str, Any] = {
            "name": name,
            "owners": [slug for slug in owners if slug in known],
            "description": description,
            "escalation_contact": contact,
            "runbooks": [_runbook(slug) for slug in runbooks],
            "chat_channel": channel,
        }
        if public_name is not None:
            entry.update(public=True, public_name=public_name)
        services.append(entry)
    return {"teams": teams, "services": services}


def service_catalog_scenes(users: dict[str, Any], joined: datetime) -> list[Scene]:
    """One scene, when the team joins: the catalog is imported."""

    def describe_services(at: datetime) -> None:
        catalog = demo_catalog()
        for team in catalog["teams"]:
            team["members"] = [member for member in team["members"] if member in users]
        import_catalog(CatalogFile.model_validate(catalog), now=at)

    return [Scene(joined, describe_services)]
