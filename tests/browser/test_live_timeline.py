"""The live timeline in a real browser: one person declares an incident and
adds a note; a second person, already on that incident's page, sees the note
appear without reloading. Once in English, once in French.

Headless Chromium from Debian (/usr/bin/chromium, `make system-deps`)
driven by Playwright; a browser is never downloaded. Playwright's sync API
runs an event loop, so this test never touches the ORM: it sets up through
`hotwash` subprocesses and acts through the browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.support.axe import assert_accessible
from tests.support.browser import (
    PASSWORD,
    WAIT_MS,
    require_chromium_and_axe,
    signed_in,
)
from tests.support.servers import RunningServer, ServerDatabase, running_server, server_database

# The pages' behaviour, on the live path production uses (PostgreSQL's
# LISTEN/NOTIFY); the SQLite path's streams are tests/live's business.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.database_independent(suite="postgres"),
]

SCREENSHOT = Path("/tmp/hotwash-live.png")  # French: hotwash-live-fr.png

if TYPE_CHECKING:
    from playwright import sync_api
else:
    sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerDatabase]:
    require_chromium_and_axe()
    with server_database(tmp_path_factory.mktemp("browser")) as database:
        yield database


@pytest.fixture(scope="module")
def amira(database: ServerDatabase) -> str:
    """A responder; her API token."""
    return database.create_user("amira", password=PASSWORD)


@pytest.fixture(scope="module")
def sam(database: ServerDatabase) -> str:
    """Another responder; his API token."""
    return database.create_user("sam", password=PASSWORD)


@pytest.fixture(scope="module")
def server(database: ServerDatabase) -> Iterator[RunningServer]:
    # A one-second heartbeat: a stream whose page has closed is noticed at
    # its next write, so its slot among the person's
    # HOTWASH_LIVE_STREAMS_PER_PERSON is free by the next test.
    quick = replace(database, env={**database.env, "HOTWASH_LIVE_HEARTBEAT_SECONDS": "1"})
    with running_server(quick) as server:
        yield server


@pytest.fixture(autouse=True)
def pages_closed_after(browser: sync_api.Browser) -> Iterator[None]:
    """Each test's pages close when it ends: an open incident page holds one
    of its person's live streams, and the tests share one server."""
    yield
    for context in browser.contexts:
        context.close()


def declare(page: sync_api.Page, language: str, title: str) -> str:
    """Declare from the home page; the new incident's address."""
    page.goto(f"/{language}/")
    page.fill(".declare input[name=title]", title)
    page.locator(".declare__main button[type=submit]").click()
    page.wait_for_selector("[data-live-events]")
    return page.url.split("#")[0]


def follow(page: sync_api.Page, url: str) -> None:
    """Open an incident page and wait until it is live: current, and
    listening, so whatever happens next can only arrive as a live update."""
    page.goto(url)
    page.wait_for_selector("[data-live-events][data-live-state='live']")
    page.evaluate("window.sameDocument = true")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_note_appears_live_on_someone_elses_incident_page(
    browser: sync_api.Browser, server: RunningServer, amira: str, sam: str, language: str
) -> None:
    writer = signed_in(browser, server, language, "amira")
    reader = signed_in(browser, server, language, "sam")
    title = f"Checkout is failing ({language})"
    incident_url = declare(writer, language, title)

    # Sam is already on the page, following along, half-way through a note
    # of his own.
    follow(reader, incident_url)
    assert reader.locator("html").get_attribute("lang") == language
    sync_api.expect(reader.locator("h1")).to_contain_text(title)
    draft = reader.locator("#add-entry textarea[name=body]")
    draft.fill("Customers report")

    # Amira adds a note through the form.
    note = f"Rolled back the 14:02 deploy ({language})."
    writer.fill("#add-entry textarea[name=body]", note)
    writer.locator("#add-entry button[type=submit]").click()
    sync_api.expect(writer.locator("[data-live-region='timeline']")).to_contain_text(note)

    # Sam sees it without reloading, and his draft is untouched.
    timeline = reader.locator("[data-live-region='timeline']")
    sync_api.expect(timeline).to_contain_text(note, timeout=WAIT_MS)
    assert reader.evaluate("window.sameDocument") is True
    assert reader.locator("html").get_attribute("lang") == language
    assert draft.input_value() == "Customers report"
    sync_api.expect(draft).to_be_focused()
    updated_text = reader.locator("[data-live-events]").get_attribute("data-live-updated-text")
    assert updated_text
    sync_api.expect(reader.locator("#live-status")).to_have_text(updated_text)
    assert_accessible(reader, f"the incident page after a live update ({language})", language)
    # For people to look at; not compared with anything.
    screenshot = (
        SCREENSHOT if language == "en" else SCREENSHOT.with_stem(f"hotwash-live-{language}")
    )
    reader.screenshot(path=str(screenshot), full_page=True)


def test_a_page_stops_following_an_incident_that_turns_private(
    browser: sync_api.Browser, server: RunningServer, amira: str, sam: str
) -> None:
    writer = signed_in(browser, server, "en", "amira")
    reader = signed_in(browser, server, "en", "sam")
    incident_url = declare(writer, "en", "Suspicious logins")
    follow(reader, incident_url)
    ref = incident_url.rstrip("/").rsplit("/", 1)[-1]

    response = httpx.patch(
        f"{server.url}/api/v1/incidents/{ref}",
        json={"private": True},
        headers={"Authorization": f"Bearer {amira}"},
        timeout=WAIT_MS / 1000,
    )
    assert response.status_code == 200, response.text

    reader.wait_for_selector("[data-live-events][data-live-state='stopped']")
    gone_text = reader.locator("[data-live-events]").get_attribute("data-live-gone-text")
    assert gone_text
    sync_api.expect(reader.locator("#live-status")).to_have_text(gone_text)
    # What was on screen stays; nothing new is shown.
    sync_api.expect(reader.locator("h1")).to_contain_text("Suspicious logins")
    assert reader.evaluate("window.sameDocument") is True
    assert_accessible(reader, "an incident page that stopped following", "en")


def test_a_burst_of_changes_is_followed_with_one_refetch_at_a_time(
    browser: sync_api.Browser, server: RunningServer, amira: str, sam: str
) -> None:
    writer = signed_in(browser, server, "en", "amira")
    reader = signed_in(browser, server, "en", "sam")
    incident_url = declare(writer, "en", "Queue backlog")
    ref = incident_url.rstrip("/").rsplit("/", 1)[-1]
    follow(reader, incident_url)

    in_flight = {"now": 0, "most": 0, "total": 0}

    def started(request: sync_api.Request) -> None:
        if request.headers.get("x-hotwash-live"):
            in_flight["now"] += 1
            in_flight["total"] += 1
            in_flight["most"] = max(in_flight["most"], in_flight["now"])

    def ended(request: sync_api.Request) -> None:
        if request.headers.get("x-hotwash-live"):
            in_flight["now"] -= 1

    reader.on("request", started)
    reader.on("requestfinished", ended)
    reader.on("requestfailed", ended)

    timeline = reader.locator("[data-live-region='timeline']")
    with httpx.Client(headers={"Authorization": f"Bearer {amira}"}) as api:

        def add(note: str) -> None:
            response = api.post(
                f"{server.url}/api/v1/incidents/{ref}/timeline", json={"body": note}
            )
            assert response.status_code == 201, response.text

        # Sam is on an entry's edit link when the burst arrives.
        add("Backlog noticed.")
        sync_api.expect(timeline).to_contain_text("Backlog noticed.", timeout=WAIT_MS)
        edit_link = timeline.locator("li", has_text="Backlog noticed.").locator("a").first
        edit_link.focus()
        focused_href = edit_link.get_attribute("href")

        notes = [f"Backlog update {n}." for n in range(1, 9)]
        for note in notes:
            add(note)

    for note in notes:
        sync_api.expect(timeline).to_contain_text(note, timeout=WAIT_MS)
    assert in_flight["most"] == 1
    # The timeline was replaced, and focus is on the same link in the new one.
    assert reader.evaluate("document.activeElement.getAttribute('href')") == focused_href
    assert reader.evaluate("window.sameDocument") is True


# --- forms that follow live updates, and the page at desktop and phone widths --

VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


def sized(page: sync_api.Page, viewport: str) -> sync_api.Page:
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    return page


def change(server: RunningServer, token: str, ref: str, **fields: str) -> None:
    """Change the incident through the API, as someone on another page."""
    response = httpx.patch(
        f"{server.url}/api/v1/incidents/{ref}",
        json=fields,
        headers={"Authorization": f"Bearer {token}"},
        timeout=WAIT_MS / 1000,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_status_form_follows_a_live_update_and_a_stale_choice_is_refused(
    browser: sync_api.Browser, server: RunningServer, amira: str, sam: str, viewport: str
) -> None:
    writer = signed_in(browser, server, "en", "amira")
    reader = sized(signed_in(browser, server, "en", "sam"), viewport)
    incident_url = declare(writer, "en", f"Search is slow ({viewport})")
    ref = incident_url.rstrip("/").rsplit("/", 1)[-1]
    follow(reader, incident_url)
    selector = reader.locator("#status select[name=status]")
    expected = reader.locator("#status input[name=expected_status]")
    assert selector.input_value() == "investigating"
    # Sam has started a summary in the details form (open, text typed, focus
    # elsewhere): a live update must not take it away.
    reader.locator("#edit summary").click()
    summary = reader.locator("#edit-form textarea[name=summary]")
    summary.fill("Search p99 is 4 s")
    reader.locator("h1").click()

    # Amira moves the incident to Identified: Sam's badge, selector and the
    # status his form would send all follow, and his typing stays.
    change(server, amira, ref, status="identified")
    badge = reader.locator("[data-live-region='header'] .status")
    sync_api.expect(badge).to_have_text("Identified", timeout=WAIT_MS)
    sync_api.expect(selector).to_have_value("identified", timeout=WAIT_MS)
    sync_api.expect(expected).to_have_value("identified")
    assert summary.input_value() == "Search p99 is 4 s"
    assert reader.evaluate("window.sameDocument") is True

    # Sam chooses Monitoring; before he sends it, Amira resolves the
    # incident. His choice stays as he made it (the badge moves on), and
    # sending it is refused with a clear message, nothing changed.
    selector.select_option("monitoring")
    reader.locator("h1").click()
    change(server, amira, ref, status="resolved")
    sync_api.expect(badge).to_have_text("Resolved", timeout=WAIT_MS)
    assert selector.input_value() == "monitoring"
    assert expected.input_value() == "identified"
    reader.locator("#status button[type=submit]").click()
    error = reader.locator("#status_status_error")
    sync_api.expect(error).to_contain_text("The status changed to Resolved")
    sync_api.expect(reader.locator("[data-live-region='header'] .status")).to_have_text("Resolved")
    assert_accessible(reader, f"a status change refused as stale ({viewport})", "en")


def test_the_detection_question_leaves_other_pages_once_answered(
    browser: sync_api.Browser, server: RunningServer, amira: str, sam: str
) -> None:
    writer = signed_in(browser, server, "fr", "amira")
    first = signed_in(browser, server, "fr", "sam")
    incident_url = declare(writer, "fr", "Les paiements échouent")
    ref = incident_url.rstrip("/").rsplit("/", 1)[-1]
    follow(first, incident_url)
    question = first.locator("#detection-form")
    sync_api.expect(question).to_be_visible()

    # Amira answers elsewhere: the question leaves Sam's page, no reload.
    change(server, amira, ref, detection_source="customer")
    sync_api.expect(question).to_have_count(0, timeout=WAIT_MS)
    assert first.evaluate("window.sameDocument") is True

    # On a second incident Sam has picked an answer when Amira's arrives:
    # his choice stays, and sending it says it was already answered.
    incident_url = declare(writer, "fr", "La recherche est lente")
    ref = incident_url.rstrip("/").rsplit("/", 1)[-1]
    follow(first, incident_url)
    first.locator("#detection-form input[value=alert]").check()
    change(server, amira, ref, detection_source="staff")
    sync_api.expect(first.locator("#timeline")).to_contain_text("Personnel", timeout=WAIT_MS)
    assert first.locator("#detection-form input[value=alert]").is_checked()
    first.locator("#detection-form button[type=submit]").click()
    sync_api.expect(first.locator(".error-summary")).to_contain_text(
        "a déjà indiqué comment il a été détecté : Personnel"
    )
    sync_api.expect(first.locator("#detection-form")).to_have_count(0)
    assert_accessible(first, "a detection answer refused as already given", "fr")


def create_action_item(server: RunningServer, token: str, ref: str, title: str) -> None:
    response = httpx.post(
        f"{server.url}/api/v1/action-items",
        json={"title": title, "owner": "sam", "incident": ref},
        headers={"Authorization": f"Bearer {token}"},
        timeout=WAIT_MS / 1000,
    )
    assert response.status_code == 201, response.text


FITS = """(selector) => {
  const box = document.querySelector(selector);
  return box.scrollWidth <= box.clientWidth + 1;
}"""


@pytest.mark.parametrize(
    ("viewport", "language"), [("desktop", "en"), ("desktop", "fr"), ("phone", "fr")]
)
def test_action_items_and_the_timeline_fit_the_incident_page(
    browser: sync_api.Browser,
    server: RunningServer,
    amira: str,
    sam: str,
    viewport: str,
    language: str,
) -> None:
    page = sized(signed_in(browser, server, language, "amira"), viewport)
    incident_url = declare(page, language, f"Logins fail ({viewport}, {language})")
    ref = incident_url.rstrip("/").rsplit("/", 1)[-1]
    create_action_item(server, amira, ref, "Alert on login error rate above 5 %")
    create_action_item(server, amira, ref, "Add a runbook for the identity provider")
    page.goto(incident_url)

    # Every fact of every action item is on screen, in the panel, with
    # nothing behind a sideways scroll.
    panel = page.locator("#action-items")
    assert page.evaluate(FITS, "#action-items")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = panel.bounding_box()
    assert box is not None
    for fact in page.locator("#action-items dd").all():
        fact_box = fact.bounding_box()
        assert fact_box is not None
        assert box["x"] <= fact_box["x"]
        assert fact_box["x"] + fact_box["width"] <= box["x"] + box["width"] + 1
    assert page.locator("#action-items .ai-card").count() == 2

    # What a responder needs comes first: the timeline and its form before
    # the side panels, in reading (source) order and on screen.
    def top(selector: str) -> float:
        found = page.locator(selector).bounding_box()
        assert found is not None
        return float(found["y"])

    order = page.evaluate(
        """() => [...document.querySelectorAll('#timeline, #add-entry, #roles, #tasks,'
        + ' #action-items, #participants')].map((element) => element.id)"""
    )
    assert order == ["timeline", "add-entry", "roles", "tasks", "action-items", "participants"]
    if viewport == "phone":
        assert top("#add-entry") < top("#roles") < top("#action-items")
    else:
        # Side by side: the side panels start level with the timeline.
        assert abs(top("#roles") - top("#timeline")) < 300
    assert_accessible(page, f"the incident page with action items ({viewport})", language)
    page.screenshot(path=f"/tmp/hotwash-incident-{viewport}-{language}.png", full_page=True)


# --- Content-Security-Policy ---------------------------------------------------
# Every page is sent with a strict policy (no inline script or style; requests
# to Hotwash only). A page that broke it would lose its script or its look in
# silence, so the browser reports every violation and none is allowed.

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""
STYLED = (
    "[...document.styleSheets].some((sheet) => sheet.href && sheet.href.includes('/static/')"
    " && sheet.cssRules.length > 0)"
)


@pytest.fixture(scope="module")
def ada(database: ServerDatabase) -> str:
    """An admin; her API token."""
    return database.create_user("ada", role="admin", password=PASSWORD)


def watched(page: sync_api.Page) -> list[str]:
    """Record this page's policy violations, from the event and the console."""
    reported: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            reported.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return reported


def violations(page: sync_api.Page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__cspViolations || []"), *console]


def test_no_page_breaks_the_content_security_policy(
    browser: sync_api.Browser, server: RunningServer, amira: str, ada: str
) -> None:
    page = signed_in(browser, server, "en", "amira")
    console = watched(page)
    incident_url = declare(page, "en", "Payments are slow")
    ref = incident_url.rstrip("/").rsplit("/", 1)[-1]
    seen: dict[str, list[str]] = {}

    def visit(path: str, ready: str) -> None:
        page.goto(path)
        page.wait_for_selector(ready, state="attached")
        assert page.evaluate(STYLED), f"{path} has no stylesheet"
        seen[path] = violations(page, console)
        console.clear()

    for path in ("/en/", "/fr/", "/en/incidents/", "/en/postmortems/", "/en/action-items/"):
        visit(path, "main h1")
    visit("/en/action-items/dashboard/", "main h1")
    visit("/en/alerts/", "main h1")
    visit("/en/triggers/proposals/", "main h1")
    visit("/en/accounts/preferences/", "main h1")
    visit("/en/incidents/INC-99999/", "main h1")  # Hotwash's "not found"
    # Live updates: the script runs and its event stream is connected.
    visit(f"/en/incidents/{ref}/", "[data-live-events][data-live-state='live']")
    visit(f"/en/incidents/{ref}/catchup/", "[data-live-events][data-live-state='live']")

    # The postmortem editor: its script, its blameless check and its preview
    # (requests back to Hotwash) all run.
    page.goto(f"/en/postmortems/new/?incident={ref}")
    page.locator("form.panel button[type=submit]").click()
    page.wait_for_selector("#pm-editor-config", state="attached")
    section = page.locator("section.pm-edit-section").first
    section.locator("textarea[name=body]").fill("Amira should have checked the config.")
    sync_api.expect(section.locator(".pm-lint__item").first).to_be_visible(timeout=WAIT_MS)
    assert page.evaluate(STYLED)
    seen["postmortem editor"] = violations(page, console)
    console.clear()

    admin = signed_in(browser, server, "en", "ada")
    admin_console = watched(admin)
    for path, ready in (
        ("/en/admin/", "#content"),
        ("/en/admin/auth/user/", "#changelist"),
        ("/en/admin/auth/user/add/", "form"),
        # The API docs: Swagger UI draws the operations from openapi.json.
        ("/api/v1/docs", ".swagger-ui .opblock"),
    ):
        admin.goto(path)
        admin.wait_for_selector(ready, state="attached")
        assert admin.evaluate(STYLED), f"{path} has no stylesheet"
        seen[path] = violations(admin, admin_console)
        admin_console.clear()

    assert {path: found for path, found in seen.items() if found} == {}
    assert len(seen) == 17
