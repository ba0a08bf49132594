"""The public status page in a real browser, as `hotwash serve` sends it
(through the thin serving layer): accessible (axe and the house rules) in
both languages, usable on a 390 px wide phone without sideways scrolling,
and its subscription form works without JavaScript.

Headless Chromium from Debian driven by Playwright; like the other browser
tests it never touches the ORM: it sets up through `hotwash shell`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.axe import assert_accessible
from tests.support.browser import WAIT_MS, require_chromium_and_axe
from tests.support.servers import RunningServer, ServerDatabase, running_server, server_database

# What the browser shows does not depend on the server's database (the
# status page's views are tested on both): run once, by the PostgreSQL suite.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.database_independent(suite="postgres"),
]

if TYPE_CHECKING:
    from playwright import sync_api
    from playwright.sync_api import ViewportSize
else:
    sync_api = pytest.importorskip("playwright.sync_api")

PHONE: ViewportSize = {"width": 390, "height": 844}

SETUP = """
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from hotwash.accounts.services import create_user
from hotwash.incidents.models import Service
from hotwash.incidents.services import declare_incident
from hotwash.statuspage.models import Maintenance, StakeholderUpdate
from hotwash.statuspage.signals import update_published
Service.objects.create(name="checkout", public=True, public_name="Online checkout and payment pages")
Service.objects.create(name="search", public=True)
amira = create_user("amira", password="pw-for-tests-42", role="responder")
now = timezone.now()
def publish(incident, status, en, fr, at):
    with transaction.atomic():
        update = StakeholderUpdate.objects.create(incident=incident, audience="public",
            status=status, text_en=en, text_fr=fr, published_at=at)
        update_published.send(StakeholderUpdate, update=update, incident=incident, now=at)
current = declare_incident(actor=amira, title="Checkout errors", services=["checkout"], severity=2)
publish(current, "investigating", "Payments fail for some customers; we are looking into it.",
        "Des paiements échouent pour certains clients ; nous enquêtons.", now - timedelta(minutes=9))
publish(current, "identified", "A database replica is lagging; we are moving reads away from it.",
        "Une réplique de base de données est en retard ; nous en détournons les lectures.", now)
past = declare_incident(actor=amira, title="Slow search", services=["search"], severity=3)
publish(past, "investigating", "Search is slow.", "La recherche est lente.", now - timedelta(days=3))
publish(past, "resolved", "Search is fast again.", "La recherche est de nouveau rapide.",
        now - timedelta(days=3) + timedelta(hours=1))
Maintenance.objects.create(title_en="Network upgrade", title_fr="Mise à niveau du réseau",
    description_en="Short interruptions are possible.", description_fr="De courtes coupures sont possibles.",
    starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2))
"""


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerDatabase]:
    require_chromium_and_axe()
    with server_database(tmp_path_factory.mktemp("status")) as database:
        database.run("shell", "-c", SETUP)
        yield database


@pytest.fixture(scope="module")
def server(database: ServerDatabase) -> Iterator[RunningServer]:
    with running_server(database) as server:
        yield server


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_status_page_on_a_phone(
    browser: sync_api.Browser, server: RunningServer, language: str
) -> None:
    context = browser.new_context(base_url=server.url, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    response = page.goto(f"/{language}/status/")
    assert response is not None and response.status == 200
    # Served by the thin layer: the stored page's headers.
    assert response.headers["cache-control"].startswith("public, max-age=")
    assert response.headers["etag"].startswith('"')
    text = page.inner_text("main")
    assert ("Une réplique" if language == "fr" else "A database replica") in text
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a 390 px screen"
    context.close()
    # axe needs JavaScript to run; the page itself has none.
    context = browser.new_context(base_url=server.url, viewport=PHONE)
    page = context.new_page()
    page.goto(f"/{language}/status/")
    assert_accessible(page, f"status page ({language})", language)
    page.locator("details summary").first.click()
    assert_accessible(page, f"status page, past updates open ({language})", language)
    context.close()


def test_subscribing_works_without_javascript(
    browser: sync_api.Browser, server: RunningServer
) -> None:
    context = browser.new_context(base_url=server.url, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto("/fr/status/")
    page.fill("#subscribe_email", "lecteur@example.org")
    page.select_option("#subscribe_service", label="search")
    page.locator(".status-subscribe button[type=submit]").click()
    page.wait_for_url("**/fr/status/subscribe/sent/")
    assert "Vérifiez votre boîte de réception" in page.inner_text("h1")
    # A mistake: the form comes back with the error, accessibly.
    page.goto("/en/status/")
    page.fill("#subscribe_email", "not an address")
    page.locator(".status-subscribe button[type=submit]").click()
    assert "There is a problem" in page.inner_text("main")
    context.close()
    context = browser.new_context(base_url=server.url, viewport=PHONE)
    page = context.new_page()
    page.goto("/en/status/subscribe/")
    page.fill("#subscribe_email", "nope")
    page.locator("main button[type=submit]").click()
    assert_accessible(page, "subscription form with a mistake", "en")
    context.close()
