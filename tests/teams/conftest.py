"""Fixtures the service catalog tests share: two teams, a service one of
them owns."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from hotwash.incidents.models import Service
from hotwash.teams import services
from hotwash.teams.models import Team


@pytest.fixture
def platform(responder: User) -> Team:
    """The responder's team."""
    team = Team.objects.create(
        name="Platform", slug="platform", email="platform@example.org", chat_channel="#platform"
    )
    team.members.add(responder)
    return team


@pytest.fixture
def storefront(db: None) -> Team:
    return Team.objects.create(name="Storefront", slug="storefront")


@pytest.fixture
def payments(platform: Team) -> Service:
    return services.create_service(
        actor=None,
        name="payments API",
        description="Takes card payments.",
        owners=["platform"],
        escalation_contact="Platform on-call",
        runbooks=[{"title": "Payments runbook", "url": "https://wiki.example.org/payments"}],
        chat_channel="#payments",
    )
