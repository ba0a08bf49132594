"""The postmortem editor in a real browser: an author writes a section, sees
a blame flag appear with its suggestion as they type, saves without a
reload, names a reviewer and asks for a review. Once in English, once in
French.

Headless Chromium from Debian (/usr/bin/chromium) driven by Playwright, a
real `hotwash serve`; set up through the API, act through the browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.support.axe import assert_accessible
from tests.support.browser import (
    WAIT_MS,
    require_chromium_and_axe,
    signed_in,
)
from tests.support.servers import RunningServer, ServerDatabase, running_server, server_database

# What the browser does with the page does not depend on the server's
# database (the editor's API is tested on both): run once, by the SQLite suite.
pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.database_independent]

if TYPE_CHECKING:
    from playwright import sync_api
else:
    sync_api = pytest.importorskip("playwright.sync_api")
SCREENSHOT = Path("/tmp/hotwash-postmortem-editor.png")  # French: ...-fr.png

# The blameful sentence each language's author types, and what is flagged.
WRITING = {
    "en": ("The config was wrong and Amira should have checked it.", "should have"),
    "fr": ("La configuration était fausse et Amira aurait dû la vérifier.", "aurait dû"),
}
IN_REVIEW = {"en": "In review", "fr": "En relecture"}


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerDatabase]:
    require_chromium_and_axe()
    with server_database(tmp_path_factory.mktemp("pm-browser")) as database:
        yield database


@pytest.fixture(scope="module")
def amira(database: ServerDatabase) -> str:
    return database.create_user("amira", password="pw-for-tests-42")


@pytest.fixture(scope="module")
def sam(database: ServerDatabase) -> str:
    return database.create_user("sam", password="pw-for-tests-42")


@pytest.fixture(scope="module")
def server(database: ServerDatabase) -> Iterator[RunningServer]:
    with running_server(database) as server:
        yield server


def start_postmortem(
    page: sync_api.Page, server: RunningServer, token: str, language: str, title: str
) -> str:
    """Declare an incident through the API, start its postmortem through
    the page; the editor's address."""
    response = httpx.post(
        f"{server.url}/api/v1/incidents",
        json={"title": title, "severity": 2},
        headers={"Authorization": f"Bearer {token}"},
        timeout=WAIT_MS / 1000,
    )
    assert response.status_code == 201, response.text
    page.goto(f"/{language}/postmortems/new/?incident={response.json()['id']}")
    page.locator("form.panel button[type=submit]").click()
    page.wait_for_selector("#pm-editor-config", state="attached")
    return page.url.split("#")[0]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_author_writes_sees_a_blame_flag_and_asks_for_review(
    browser: sync_api.Browser, server: RunningServer, amira: str, sam: str, language: str
) -> None:
    page = signed_in(browser, server, language, "amira")
    start_postmortem(page, server, amira, language, f"Checkout fails ({language})")
    page.evaluate("window.sameDocument = true")

    # The author writes the trigger; the check flags the hindsight while
    # they type, with its explanation and a suggested rewrite.
    text, flagged = WRITING[language]
    section = page.locator("#section-trigger")
    section.locator("textarea[name=body]").fill(text)
    finding = section.locator(".pm-lint__item").filter(has=page.locator("mark", has_text=flagged))
    sync_api.expect(finding).to_be_visible(timeout=WAIT_MS)
    sync_api.expect(finding.locator("mark")).to_contain_text(flagged)
    excerpt = finding.locator("mark").inner_text()
    assert finding.locator(".pm-lint__suggestion").inner_text().strip()
    sync_api.expect(section.locator("[data-lint-summary]")).not_to_be_empty()
    # The words are highlighted in the text box too (a mirror behind it).
    sync_api.expect(section.locator(".pm-mirror mark").first).to_be_visible()
    assert_accessible(page, f"the editor showing a blameless finding ({language})", language)
    section.screenshot(path=str(SCREENSHOT.with_stem(f"hotwash-postmortem-lint-{language}")))

    # "Show in the text" selects the flagged words in the textarea.
    finding.locator("button").click()
    selected = page.evaluate(
        "(() => { const t = document.querySelector('#section-trigger textarea');"
        " return t.value.slice(t.selectionStart, t.selectionEnd); })()"
    )
    assert selected == excerpt

    # Saving does not reload the page; the next save starts from version 1.
    section.locator("button[value=save]").click()
    sync_api.expect(section.locator("[data-save-status]")).not_to_be_empty()
    sync_api.expect(section.locator("input[name=base_version]")).to_have_value("1")
    assert page.evaluate("window.sameDocument") is True
    page.screenshot(
        path=str(SCREENSHOT if language == "en" else SCREENSHOT.with_stem(f"{SCREENSHOT.stem}-fr")),
        full_page=True,
    )

    # On the postmortem page: name Sam as reviewer and ask for a review.
    page.locator("p.back a").click()
    page.wait_for_selector("#review")
    sync_api.expect(page.locator("#section-trigger")).to_contain_text(text)
    page.select_option("#reviewers_add", "sam")
    page.locator("form.assign-form button[type=submit]").click()
    page.wait_for_selector("#review")
    page.locator("button[value=request_review]").click()
    sync_api.expect(page.locator(".pm-header .pm-status")).to_have_text(IN_REVIEW[language])
    # The review lists the blameless findings too (advice, not blocking).
    sync_api.expect(page.locator("#findings")).to_be_visible()
    assert_accessible(page, f"a postmortem in review with its findings ({language})", language)
    page.screenshot(
        path=str(SCREENSHOT.with_stem(f"hotwash-postmortem-{language}")), full_page=True
    )
    # The list shows it in review, with how much of each version is written.
    page.goto(f"/{language}/postmortems/")
    sync_api.expect(page.locator("table.postmortems")).to_contain_text(IN_REVIEW[language])
    page.screenshot(
        path=str(SCREENSHOT.with_stem(f"hotwash-postmortems-{language}")), full_page=True
    )


def test_two_authors_saving_the_same_section_lose_nothing(
    browser: sync_api.Browser, server: RunningServer, amira: str, sam: str
) -> None:
    first = signed_in(browser, server, "en", "amira")
    second = signed_in(browser, server, "en", "sam")
    editor_url = start_postmortem(first, server, amira, "en", "Queue backlog")
    second.goto(editor_url)
    first.evaluate("window.sameDocument = true")

    # Both start from the same version; Sam saves first.
    first.locator("#section-detection textarea[name=body]").fill("Amira: a customer told us.")
    second.locator("#section-detection textarea[name=body]").fill("Sam: the queue alert fired.")
    second.locator("#section-detection button[value=save]").click()
    sync_api.expect(second.locator("#section-detection [data-save-status]")).not_to_be_empty()

    # Amira's save is refused without a reload: both versions are shown,
    # hers still in the editor, and the next save starts from Sam's.
    first.locator("#section-detection button[value=save]").click()
    section = first.locator("#section-detection")
    sync_api.expect(section.locator("[role=alert]")).to_contain_text("sam")
    sync_api.expect(section.locator("textarea[readonly]")).to_have_value(
        "Sam: the queue alert fired."
    )
    editor = section.locator("textarea[name=body]")
    sync_api.expect(editor).to_have_value("Amira: a customer told us.")
    sync_api.expect(section.locator("input[name=base_version]")).to_have_value("1")
    assert first.evaluate("window.sameDocument") is True
    assert_accessible(first, "the editor showing a save conflict", "en")

    # She merges and saves again, from the keyboard.
    editor.fill("Sam: the queue alert fired. Amira: a customer told us too.")
    editor.press("Control+s")
    sync_api.expect(section.locator("input[name=base_version]")).to_have_value("2")
    second.reload()
    sync_api.expect(second.locator("#section-detection textarea[name=body]")).to_have_value(
        "Sam: the queue alert fired. Amira: a customer told us too."
    )
