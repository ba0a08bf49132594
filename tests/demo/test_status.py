"""The demo's public update: the status page shows an incident after
`hotwash demo` when the demo has a public service with an open incident."""

from __future__ import annotations

import pytest
from django.test import Client

from hotwash.demo.load import load_demo
from hotwash.incidents.models import Service
from hotwash.statuspage.models import StakeholderUpdate
from hotwash.statuspage.pages import render_and_store

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_one_public_update_on_a_public_service() -> None:
    load_demo()
    update = StakeholderUpdate.objects.get()
    assert update.audience == "public"
    assert update.incident.title == "Checkout fails for all users"
    checkout = Service.objects.get(name="checkout")
    assert checkout.public
    public_name = checkout.public_name or checkout.name
    assert public_name in update.text_en and public_name in update.text_fr
    render_and_store()
    html = Client().get("/en/status/").content.decode()
    assert f"Some customers cannot use {public_name}." in html
    assert "Certains clients" in Client().get("/fr/status/").content.decode()
