"""Fixtures the action item tests share."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from hotwash.incidents import services as incidents
from hotwash.incidents.models import Incident


@pytest.fixture
def incident(responder: User) -> Incident:
    """The incident the action items hang off: SEV2, so an item is due in 30
    days by default."""
    return incidents.declare_incident(actor=responder, title="Checkout fails", severity=2)
