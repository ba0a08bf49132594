"""Sharing safely, in a real browser (issue 16): an author reviews the
public version beside the original, replaces a name Hotwash could not know,
keeps a word it took for a name, gives the French title and publishes; the
public pages, in both languages, then show none of the names, addresses
and internal hosts the original had. And a near miss filed anonymously,
told so before it is sent, keeps no link to its author.

Headless Chromium from Debian (/usr/bin/chromium) driven by Playwright, a
real `hotwash serve`; the postmortem is written through the API, the
review is done through the pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.axe import assert_accessible
from tests.support.browser import (
    WAIT_MS,
    api_call,
    require_chromium_and_axe,
    signed_in,
)
from tests.support.servers import RunningServer, ServerDatabase, running_server, server_database

# The pages' behaviour, not the database's: run once, by the SQLite suite
# (the redaction and the services are tested on both, in tests/sharing).
pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.database_independent]

if TYPE_CHECKING:
    from playwright import sync_api
else:
    sync_api = pytest.importorskip("playwright.sync_api")

TEXT = {
    "en": "At 03:20 Amira restarted db-1.corp.example (10.0.0.12) after a mail from "
    "ops-lead@corp.example; see https://grafana.corp.example/d/checkout. Bob, the "
    "vendor's engineer, found the bad route. The ledger kept every payment.",
    "fr": "À 03:20, Amira a redémarré db-1.corp.example (10.0.0.12) après un courriel de "
    "ops-lead@corp.example ; voir https://grafana.corp.example/d/checkout. Bob, "
    "l'ingénieur du fournisseur, a trouvé la mauvaise route. Le ledger a gardé chaque "
    "paiement.",
}
# What the original says and no public page may.
SECRETS = [
    "Amira",
    "Bob",
    "db-1.corp.example",
    "10.0.0.12",
    "ops-lead@corp.example",
    "grafana.corp.example",
]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerDatabase]:
    require_chromium_and_axe()
    with server_database(tmp_path_factory.mktemp("sharing-browser")) as database:
        database.env["HOTWASH_INTERNAL_DOMAINS"] = "corp.example"
        yield database


@pytest.fixture(scope="module")
def amira(database: ServerDatabase) -> str:
    token = database.create_user("amira")
    # An account whose username is also a word of the text: replaced as a
    # name until the author keeps it.
    database.create_user("ledger")
    return token


@pytest.fixture(scope="module")
def server(database: ServerDatabase) -> Iterator[RunningServer]:
    with running_server(database) as server:
        yield server


def published_postmortem(server: RunningServer, token: str) -> int:
    """A SEV2 incident's postmortem, its summary written in both languages,
    approved by its author and published; its number."""
    incident = api_call(
        server, token, "POST", "/incidents", {"title": "Checkout down", "severity": 2}
    )
    path = f"/incidents/{incident['id']}/postmortem"
    postmortem = api_call(server, token, "POST", path, {"language": "en"})
    ref = postmortem["id"]
    [summary] = [s for s in postmortem["sections"] if s["key"] == "summary"]
    for language, body in TEXT.items():
        version = (summary["languages"][language] or {}).get("version", 0)
        path = f"/postmortems/{ref}/sections/summary/{language}"
        api_call(server, token, "PUT", path, {"body": body, "base_version": version})
    api_call(server, token, "PUT", f"/postmortems/{ref}/reviewers", {"reviewers": ["amira"]})
    for item in api_call(server, token, "GET", f"/postmortems/{ref}")["checklist"]:
        path = f"/postmortems/{ref}/checklist/{item['key']}"
        api_call(server, token, "PUT", path, {"checked": True})
    for action in ("request_review", "approve", "publish"):
        api_call(server, token, "POST", f"/postmortems/{ref}/transitions", {"action": action})
    return int(postmortem["number"])


def test_an_author_reviews_the_public_version_and_readers_see_nothing_internal(
    browser: sync_api.Browser, server: RunningServer, amira: str
) -> None:
    number = published_postmortem(server, amira)
    page = signed_in(browser, server, "en", "amira")
    page.goto(f"/en/postmortems/{number}/public-version/")
    page.get_by_role("button", name="Prepare the public version").click()

    # Side by side, each replacement highlighted on both sides.
    compare = page.locator("section[aria-labelledby='pv-compare-title']")
    sync_api.expect(compare.locator("mark.pv-original").first).to_be_visible()
    originals = compare.locator("mark.pv-original").all_inner_texts()
    for found in ("Amira", "db-1.corp.example", "10.0.0.12", "ops-lead@corp.example"):
        assert found in originals, originals
    assert "Bob" not in originals  # nobody Hotwash knows
    assert_accessible(page, "the public version's review", "en")

    # The author replaces the vendor's engineer everywhere, and keeps "ledger".
    page.get_by_label("Text to replace everywhere").fill("Bob")
    page.get_by_role("button", name="Replace it everywhere").click()
    sync_api.expect(page.get_by_role("button", name="Keep “Bob”")).to_be_visible()
    page.get_by_role("button", name="Keep “ledger”").click()
    sync_api.expect(page.get_by_role("button", name="Keep “ledger”")).to_have_count(0)

    # Publishing waits for the French title, and for the confirmation.
    page.get_by_role("button", name="Publish the public version").click()
    sync_api.expect(page.locator(".error-summary, .errorlist").first).to_be_visible()
    page.locator("#title_title").fill("Le paiement en panne")
    page.get_by_role("button", name="Save the title").click()
    page.locator("#confirm_confirmed").check()
    page.get_by_role("button", name="Publish the public version").click()
    sync_api.expect(page.get_by_text("The public version is published.")).to_be_visible()

    # What anyone reads, without signing in, in both languages.
    reader = browser.new_context(base_url=server.url).new_page()
    reader.set_default_timeout(WAIT_MS)
    for language, title in (("en", "Checkout down"), ("fr", "Le paiement en panne")):
        reader.goto(f"/{language}/postmortems/public/{number}/")
        sync_api.expect(reader.locator("h1")).to_contain_text(title)
        text = reader.locator("main").inner_text()
        leaks = [secret for secret in SECRETS if secret in text]
        assert not leaks, f"{language}: {leaks}"
        assert "03:20" in text and "ledger" in text
        assert {"en": "[address removed]", "fr": "[adresse retirée]"}[language] in text
    # Switching language keeps the reader on the same postmortem.
    reader.locator(".language-switch button[lang='en']").click()
    reader.wait_for_url(f"**/en/postmortems/public/{number}/")
    reader.context.close()
    page.context.close()


def test_a_near_miss_filed_anonymously_keeps_no_link_to_its_author(
    browser: sync_api.Browser, server: RunningServer, database: ServerDatabase, amira: str
) -> None:
    page = signed_in(browser, server, "fr", "amira")
    page.goto("/fr/reports/new/")
    # Told before sending what anonymous means.
    sync_api.expect(page.locator("section.anonymity")).to_contain_text(
        "ne garde rien qui le relie à vous"
    )
    assert_accessible(page, "filing a report", "fr")
    page.locator("input[name='kind'][value='near-miss']").check()
    page.locator("#report_text").fill("La sauvegarde a failli tourner sur la production.")
    page.locator("input[name='identity'][value='anonymous']").check()
    page.get_by_role("button", name="Envoyer le signalement").click()
    sync_api.expect(page.locator("h1")).to_have_text("Signalement envoyé anonymement")

    [(author, text)] = database.query("SELECT author_id, text FROM reports_report")
    assert author is None and text.startswith("La sauvegarde")
    audit = database.query("SELECT actor_id FROM core_auditrecord WHERE action = 'report.filed'")
    assert audit == [(None,)]
    page.context.close()
