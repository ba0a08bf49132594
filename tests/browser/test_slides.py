"""A postmortem as slides in a real browser ("Show The Thing", issue 16):
moving through them from the keyboard, the presenter's view, Escape back
to the postmortem, axe-core on each view, and printing to PDF, which must
give exactly one page per slide even when every section is as long as it
can be. Once in English, once in French.

Headless Chromium from Debian (/usr/bin/chromium) driven by Playwright, a
real `hotwash serve`; set up through the API, act through the browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.axe import assert_accessible
from tests.support.browser import (
    api_call,
    require_chromium_and_axe,
    signed_in,
)
from tests.support.servers import RunningServer, ServerDatabase, running_server, server_database

# What the browser does with the page does not depend on the server's
# database (the page's reads are tested on both): run once, by the SQLite suite.
pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.database_independent]

if TYPE_CHECKING:
    from playwright import sync_api
else:
    sync_api = pytest.importorskip("playwright.sync_api")
HANDOUT = Path("/tmp/hotwash-slides.pdf")  # French: ...-fr.pdf
SCREENSHOT = Path("/tmp/hotwash-slides.png")

# A postmortem written at length in each language, so that the deck has
# sections split across two slides and points cut short: the worst case
# for a printed page.
LONG = {
    "en": "The retry policy of the payment client doubled the load on the database "
    "every time a request timed out, so the queue kept growing after the fix",
    "fr": "La politique de nouvelle tentative du client de paiement doublait la charge "
    "de la base à chaque dépassement de délai, si bien que la file a continué de croître",
}
TITLE = {
    "en": "Checkout failed for most customers during the spring sale because payment "
    "retries overloaded the primary database while a configuration change rolled out "
    "to every region at the same time",
    "fr": "Le paiement a échoué pour la plupart des clients pendant les soldes de printemps "
    "car les nouvelles tentatives ont surchargé la base principale pendant un déploiement",
}
SECTION_TITLE = {"en": "Contributing factors", "fr": "Facteurs contributifs"}
NOTES_HEADING = {"en": "Notes for the presenter", "fr": "Notes pour la personne qui présente"}
POSITION = {"en": "Slide 2 of", "fr": "Diapositive 2 sur"}
# "/Type /Page" objects in a PDF: one per page (not the "/Type /Pages" tree).
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerDatabase]:
    require_chromium_and_axe()
    with server_database(tmp_path_factory.mktemp("slides-browser")) as database:
        yield database


@pytest.fixture(scope="module")
def amira(database: ServerDatabase) -> str:
    return database.create_user("amira", password="pw-for-tests-42")


@pytest.fixture(scope="module")
def server(database: ServerDatabase) -> Iterator[RunningServer]:
    with running_server(database) as server:
        yield server


def long_postmortem(server: RunningServer, token: str, language: str) -> int:
    """An incident with many key moments and a postmortem whose sections
    are all long, with action items; the postmortem's number."""
    services = [f"{name}-{language}" for name in ("checkout", "payments", "ledger", "search")]
    incident = api_call(
        server,
        token,
        "POST",
        "/incidents",
        {"title": TITLE[language], "severity": 2, "services": [*services, "primary-database"]},
    )
    ref = incident["id"]
    for number in range(1, 11):
        entry = {"body": f"{number}. {LONG[language]}", "key_moment": True}
        api_call(server, token, "POST", f"/incidents/{ref}/timeline", entry)
    postmortem = api_call(
        server, token, "POST", f"/incidents/{ref}/postmortem", {"language": language}
    )
    versions = {
        section["key"]: (section["languages"][language] or {}).get("version", 0)
        for section in postmortem["sections"]
    }
    bullets = "\n".join(f"- {number}. {LONG[language]} {LONG[language]}" for number in range(12))
    texts = {
        "summary": f"{LONG[language]}. {LONG[language]}. {LONG[language]}.\n\n{LONG[language]}.",
        "impact": bullets,
        "impact_end_users": LONG[language],
        "contributing_factors": bullets,
        "went_well": bullets,
        "got_lucky": LONG[language],
    }
    for key, body in texts.items():
        path = f"/postmortems/{postmortem['id']}/sections/{key}/{language}"
        api_call(server, token, "PUT", path, {"body": body, "base_version": versions[key]})
    for number in range(6):
        item = {"title": f"{number}. {LONG[language]}"[:200], "owner": "amira"}
        api_call(server, token, "POST", "/action-items", {**item, "postmortem": postmortem["id"]})
    return int(postmortem["number"])


def shown_slides(page: sync_api.Page) -> list[str]:
    shown = page.eval_on_selector_all(
        "section.slide", "(slides) => slides.filter((s) => !s.hidden).map((s) => s.id)"
    )
    return [str(slide_id) for slide_id in shown]


def focused_id(page: sync_api.Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_presenter_moves_through_the_slides_and_prints_a_handout(
    browser: sync_api.Browser, server: RunningServer, amira: str, language: str
) -> None:
    number = long_postmortem(server, amira, language)
    page = signed_in(browser, server, language, "amira")

    # From the postmortem page's link to the first slide, one slide shown.
    page.goto(f"/{language}/postmortems/{number}/")
    page.locator(f"a[href^='/{language}/postmortems/{number}/slides/']").click()
    page.wait_for_selector("body.is-enhanced")
    total = page.locator("section.slide").count()
    # Long sections continue on a second slide: more slides than topics.
    assert total >= 10
    assert shown_slides(page) == ["slide-1"]
    sync_api.expect(page.locator("#slide-1 h2")).to_contain_text(TITLE[language][:40])
    assert_accessible(page, f"the slides ({language})", language)
    page.screenshot(path=str(SCREENSHOT.with_stem(f"hotwash-slides-{language}")))

    # The arrows, Home and End; each slide takes the focus and the address
    # keeps its number.
    page.keyboard.press("ArrowRight")
    assert shown_slides(page) == ["slide-2"]
    assert focused_id(page) == "slide-2"
    assert page.url.endswith("#slide-2")
    sync_api.expect(page.locator("[data-position]")).to_contain_text(POSITION[language])
    page.keyboard.press("ArrowLeft")
    assert shown_slides(page) == ["slide-1"]
    page.keyboard.press("End")
    assert shown_slides(page) == [f"slide-{total}"]
    page.keyboard.press("ArrowRight")  # nothing after the last
    assert shown_slides(page) == [f"slide-{total}"]
    page.keyboard.press("Home")
    assert shown_slides(page) == ["slide-1"]
    assert focused_id(page) == "slide-1"

    # A split section: its first part, then the second.
    factors = page.locator("section.slide--contributing_factors")
    assert factors.count() == 2
    first_part = factors.first.get_attribute("id")
    assert first_part is not None
    page.goto(f"{page.url.split('#')[0]}#{first_part}")
    sync_api.expect(factors.first).to_be_visible()
    sync_api.expect(factors.first.locator("h2")).to_contain_text(SECTION_TITLE[language])

    # P: the presenter's view, with the notes and the next slide.
    page.keyboard.press("p")
    sync_api.expect(page.locator("body")).to_have_class(re.compile(r"\bis-presenter\b"))
    notes = factors.first.locator(".slide__notes")
    sync_api.expect(notes).to_be_visible()
    sync_api.expect(notes.locator("h3")).to_have_text(NOTES_HEADING[language])
    sync_api.expect(notes).to_contain_text(LONG[language])  # a point cut short, in full
    preview = page.locator("[data-next-preview]")
    sync_api.expect(preview).to_contain_text(SECTION_TITLE[language])
    assert preview.locator("[id]").count() == 0 and preview.locator("h2").count() == 0
    assert "presenter=1" in page.url
    assert_accessible(page, f"the presenter's view ({language})", language)
    page.screenshot(path=str(SCREENSHOT.with_stem(f"hotwash-slides-presenter-{language}")))
    page.keyboard.press("ArrowRight")
    sync_api.expect(factors.last).to_be_visible()

    # Escape leaves the presenter's view, then the slides.
    page.keyboard.press("Escape")
    sync_api.expect(page.locator("body")).not_to_have_class(re.compile(r"\bis-presenter\b"))
    sync_api.expect(factors.last.locator(".slide__notes")).to_be_hidden()
    assert "presenter=1" not in page.url
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(rf"/{language}/postmortems/{number}/\?lang={language}$"))

    # ?presenter=1 opens the presenter's view directly.
    page.goto(f"/{language}/postmortems/{number}/slides/?lang={language}&presenter=1#slide-3")
    page.wait_for_selector("body.is-enhanced.is-presenter")
    assert shown_slides(page) == ["slide-3"]
    sync_api.expect(page.locator("#slide-3 .slide__notes")).to_be_visible()

    # The handout: every slide on its own page, whichever one is showing.
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    HANDOUT.with_stem(f"hotwash-slides-{language}").write_bytes(pdf)
    assert len(PAGE_OBJECT.findall(pdf)) == total
    # The page tree's root counts them all.
    assert max(int(count) for count in re.findall(rb"/Count\s+(\d+)", pdf)) == total

    # Printed, every slide's text fits on its page: nothing is cut off.
    page.emulate_media(media="print")
    overflowing = page.eval_on_selector_all(
        ".slide__frame",
        "(frames) => frames.filter((f) => f.scrollHeight > f.clientHeight + 1)"
        ".map((f) => f.parentElement.id)",
    )
    assert overflowing == []
