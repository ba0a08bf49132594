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


def test_a_public_service_gets_one_public_update() -> None:
    Service.objects.create(name="checkout", public=True, public_name="Online checkout")
    load_demo()
    update = StakeholderUpdate.objects.get()
    assert update.audience == "public"
    assert update.incident.title == "Checkout fails for all users"
    assert "Online checkout" in update.text_en and "Online checkout" in update.text_fr
    render_and_store()
    html = Client().get("/en/status/").content.decode()
    assert "Some customers cannot use Online checkout." in html
    assert "Certains clients" in Client().get("/fr/status/").content.decode()


def test_without_a_public_service_there_is_no_update() -> None:
    load_demo()
    assert not StakeholderUpdate.objects.exists()
