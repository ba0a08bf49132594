"""The declare form's type choice in a real browser (incidents/types.js):
only the chosen type's fields show; a privacy breach declared without its
required fields comes back with an error on each, and is declared once
they are filled in. Without the script every type's fields show, each in
a fieldset naming its type (tests/incidents/test_types.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.axe import assert_accessible
from tests.support.browser import PASSWORD, require_chromium_and_axe, signed_in
from tests.support.servers import RunningServer, ServerDatabase, running_server, server_database

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.database_independent(suite="postgres"),
]

if TYPE_CHECKING:
    from playwright import sync_api
else:
    sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerDatabase]:
    require_chromium_and_axe()
    with server_database(tmp_path_factory.mktemp("browser-types")) as database:
        database.create_user("amira", password=PASSWORD)
        yield database


@pytest.fixture(scope="module")
def server(database: ServerDatabase) -> Iterator[RunningServer]:
    with running_server(database) as server:
        yield server


@pytest.mark.parametrize("language", ["en", "fr"])
def test_only_the_chosen_types_fields_show_and_are_asked_for(
    browser: sync_api.Browser, server: RunningServer, language: str
) -> None:
    page = signed_in(browser, server, language, "amira")
    page.goto(f"/{language}/")
    breach_fields = page.locator("[data-type-fields='privacy-breach']")
    sync_api.expect(breach_fields).to_be_hidden()

    page.fill(".declare input[name=title]", f"Export sent to the wrong customer ({language})")
    page.check("#declare_type_privacy-breach")
    sync_api.expect(breach_fields).to_be_visible()
    page.locator(".declare__main button[type=submit]").click()

    # Refused: each required field says so, and the chosen type still shows its fields.
    sync_api.expect(page.locator("#declare_privacy-breach__people_affected_error")).to_be_visible()
    sync_api.expect(
        page.locator("#declare_privacy-breach__personal_information_error")
    ).to_be_visible()
    sync_api.expect(page.locator("#declare_type_privacy-breach")).to_be_checked()
    assert_accessible(page, f"the declare form with field errors ({language})", language)

    page.fill("#declare_privacy-breach__personal_information", "Names and e-mail addresses")
    page.fill("#declare_privacy-breach__people_affected", "120")
    page.locator(".declare__main button[type=submit]").click()
    page.wait_for_selector("#incident-title")
    facts = page.locator(".incident-header .facts")
    sync_api.expect(facts).to_contain_text("Names and e-mail addresses")
    sync_api.expect(facts).to_contain_text("120")
