"""axe-core over every page Hotwash serves, in English and in French.

The pages come from the URL resolver: every route under the language prefix
(and the single sign-on pages) is a page here unless it is listed in ACTIONS
(an address that only takes a POST: its GET answers 405 or leads to the page
it acts on, which a test below checks). A new route is therefore walked
without editing this file, and a route the walk cannot fill fails, naming
the parameter to teach `PARAMETERS`.

Each page is opened in headless Chromium (/usr/bin/chromium, driven by
Playwright; never downloaded) from a real `hotwash serve` on the demo data
plus what `tests/support/accessibility_world.py` adds (a postmortem in each state,
alerts, proposals, a heartbeat), signed in as the person who would see it:
amira (a responder), jonas (a reviewer), victor (a viewer) or nobody. Then
axe-core runs with the WCAG 2.1 A and AA rules (tests/support/axe.py); a page passes
when axe finds nothing, its <html lang> is the language asked for, it
starts with the skip link, and its HTML puts no block inside a <p> (the
last three are what axe cannot see).

Beyond the pages as they load: every form answered with a mistake (the
error summary and the messages beside the fields), a sign-in that failed,
a confirmation after a change, the server error and lock-out pages that no
address shows without a fault. The live states (an update arriving, the
editor's blameless check, a save conflict) are checked in browser/test_live_timeline.py
and browser/test_postmortem_editor.py, where the tests reach them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from hotwash.demo.load import DEMO_PASSWORD
from tests.support.axe import assert_accessible, misnested_in_paragraphs
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, require_chromium_and_axe
from tests.support.servers import (
    RunningServer,
    ServerDatabase,
    free_port,
    running_server,
    server_database,
)

# The markup does not depend on the database vendor (the views and their
# queries are tested on both): the walk runs once, in the SQLite suite,
# which keeps `make test` within its time on two cores.
pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.database_independent]

if TYPE_CHECKING:
    from playwright import sync_api
else:
    sync_api = pytest.importorskip("playwright.sync_api")

LANGUAGES = ("en", "fr")
WORLD = Path(__file__).parents[1] / "support" / "accessibility_world.py"
OIDC_NAME = "Example SSO"
UNPREFIXED = ("/oidc/", "/i18n/", "/live/")

# --- the pages ----------------------------------------------------------------

# Addresses that only act: a GET answers 405, or leads to the page acted on.
ACTIONS = frozenset(
    {
        "/accounts/logout/",
        "/accounts/preferences/tokens/{token_id}/revoke/",
        "/postmortems/{pk}/edit/{key}/",
        "/postmortems/{pk}/preview/",
        "/postmortems/{pk}/reviewers/",
        "/postmortems/{pk}/status/",
        "/postmortems/{pk}/decision/",
        "/postmortems/{pk}/checklist/",
        "/postmortems/{pk}/comments/",
        "/postmortems/{pk}/comments/{comment_id}/resolve/",
        "/postmortems/{pk}/public-version/prepare/",
        "/postmortems/{pk}/public-version/title/",
        "/postmortems/{pk}/public-version/replacements/",
        "/postmortems/{pk}/public-version/replacements/undo/",
        "/postmortems/{pk}/public-version/confirm/",
        "/action-items/{pk}/edit/",
        "/action-items/{pk}/status/",
        "/postmortems/feed-token/",
        "/reports/{pk}/comments/",
        "/reports/{pk}/close/",
        "/reports/{pk}/retrospective/",
        "/reports/{pk}/incident/",
        "/trackers/items/{ref}/push/",
        "/triggers/proposals/{proposal_id}/accept/",
        "/triggers/proposals/{proposal_id}/dismiss/",
        "/incidents/{ref}/status/",
        "/incidents/{ref}/details/",
        "/incidents/{ref}/detection/",
        "/incidents/{ref}/type/",
        "/incidents/{ref}/timeline/",
        "/incidents/{ref}/links/",
        "/incidents/{ref}/links/remove/",
        "/incidents/{ref}/roles/take/",
        "/incidents/{ref}/roles/step-down/",
        "/incidents/{ref}/roles/assign/",
        "/incidents/{ref}/tasks/",
        "/incidents/{ref}/tasks/{task_id}/done/",
        "/incidents/{ref}/participants/",
        "/incidents/{ref}/updates/",
        "/notifications/follow/incidents/{ref}/",
        "/notifications/follow/services/{name}/",
        "/chat/accounts/{identity_id}/unlink/",
        "/i18n/setlang/",
    }
)
# Routes that are not pages at all.
NOT_PAGES = frozenset(
    {
        "/live/incidents/{pk}/events",  # an event stream
        # For probes and Prometheus: JSON and Prometheus' text format
        # (tests/operations).
        "/healthz",
        "/readyz",
        "/metrics",
        # Atom feeds (tests/statuspage/test_feeds.py).
        "/status/feed.atom",
        "/status/{service}/feed.atom",
        # (tests/postmortems/test_feeds.py)
        "/postmortems/feed.atom",
        "/postmortems/public/feed.atom",
        # What Slack and the Bot Framework call, signed (tests/integrations/).
        "/integrations/slack/commands",
        "/integrations/slack/events",
        "/integrations/slack/interactivity",
        "/integrations/teams/messages",
    }
)

# What each path parameter names, by the path segment before it: a key of
# what accessibility_world.py made.
PARAMETERS: dict[tuple[str, str], str] = {
    ("incidents", "ref"): "incident",
    ("timeline", "event_id"): "event",
    ("tasks", "task_id"): "task",
    ("postmortems", "pk"): "postmortem_in_review",
    ("public", "pk"): "postmortem_published",
    ("edit", "key"): "section",
    ("comments", "comment_id"): "comment",
    ("action-items", "pk"): "item",
    ("items", "ref"): "item_ref",
    ("groups", "pk"): "group",
    ("proposals", "proposal_id"): "proposal",
    ("tokens", "token_id"): "token",
    ("confirm", "token"): "status_confirm_token",
    ("unsubscribe", "token"): "status_unsubscribe_token",
    ("services", "name"): "service",
    ("accounts", "identity_id"): "chat_identity",
    ("link", "token"): "chat_link_token",
    ("reports", "pk"): "report",
}

_CONVERTER = re.compile(r"<(?:[^>:]+:)?(?P<name>[^>]+)>")


def _routes() -> list[str]:
    """Every route a browser could open, as "/incidents/{ref}/", without
    the language prefix; the API, the admin and regex catch-alls aside."""
    routes: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and not _left_out(route):
                routes.append("/" + _CONVERTER.sub(r"{\g<name>}", route.removeprefix("en/")))

    walk(get_resolver().url_patterns, "")
    return list(dict.fromkeys(routes))


def _left_out(route: str) -> bool:
    return (
        route.startswith(("api/", "fr/", "en/admin/"))  # French: the same routes as English
        or "^" in route
        or "(?P" in route
    )


def _fill(route: str) -> str:
    """The route with each parameter as a {world key}."""

    def key(match: re.Match[str]) -> str:
        name = match.group(1)
        parts = [part for part in route.split("/") if part]
        before = parts[parts.index("{" + name + "}") - 1]
        world_key = PARAMETERS.get((before, name))
        assert world_key is not None, (
            f"The accessibility walk does not know what {{{name}}} names in {route}: "
            "add it to PARAMETERS in tests/browser/test_accessibility.py."
        )
        return "{" + world_key + "}"

    return re.sub(r"\{([^}]+)\}", key, route)


@dataclass(frozen=True)
class Case:
    """One page in one state: its address (with {world keys}), who looks,
    and the status it answers with."""

    name: str
    path: str
    who: str = "amira"
    status: int = 200


# Routes whose plain visit needs someone else, a query, or answers otherwise.
ROUTE_CASES = {
    "/accounts/login/": Case("sign-in", "/accounts/login/", who="anonymous"),
    "/postmortems/public/": Case("public postmortems", "/postmortems/public/", who="anonymous"),
    "/postmortems/public/{pk}/": Case(
        "public postmortem", "/postmortems/public/{postmortem_published}/", who="anonymous"
    ),
    "/action-items/new/": Case("new action item", "/action-items/new/?incident={incident}"),
    "/reports/": Case("reports to review", "/reports/", who="admin"),
    # Insights and themes: admins and holders of "view insights" only.
    "/insights/themes/": Case("themes", "/insights/themes/", who="admin"),
    "/insights/": Case("insights", "/insights/", who="admin"),
    # Single sign-on, with a provider that does not answer: the page that
    # says so, and the one for a callback this browser did not start.
    "/oidc/authenticate/": Case(
        "single sign-on down", "/oidc/authenticate/", who="anonymous", status=503
    ),
    "/oidc/callback/": Case(
        "single sign-on refused", "/oidc/callback/", who="anonymous", status=400
    ),
}
# More states of the same pages.
STATES = [
    Case("incidents filtered", "/incidents/?status=open&severity=2"),
    Case("incidents with a bad filter", "/incidents/?since=soon", status=400),
    Case("resolved incident with its postmortem", "/incidents/{resolved}/"),
    Case("private incident, as a participant", "/incidents/{private}/"),
    Case("home, as a viewer", "/", who="victor"),
    Case("incident, as a viewer", "/incidents/{incident}/", who="victor"),
    Case("merge, reviewing what moves", "/incidents/{incident}/merge/?into={resolved}"),
    Case("forbidden", "/incidents/{incident}/timeline/{event}/edit/", who="victor", status=403),
    Case("not found", "/incidents/INC-99999/", status=404),
    Case("postmortems filtered", "/postmortems/?status=draft&overdue=on&mine=on"),
    Case("new postmortem for an incident", "/postmortems/new/?incident={incident}"),
    Case("draft postmortem", "/postmortems/{postmortem_draft}/"),
    Case("approved postmortem", "/postmortems/{postmortem_approved}/"),
    Case("published postmortem", "/postmortems/{postmortem_published}/"),
    Case("public version, side by side", "/postmortems/{postmortem_published}/public-version/"),
    Case(
        "postmortem in French, full timeline",
        "/postmortems/{postmortem_in_review}/?lang=fr&timeline=full",
    ),
    Case("postmortem, as its reviewer", "/postmortems/{postmortem_in_review}/", who="jonas"),
    Case("retrospective", "/postmortems/{retrospective}/"),
    Case("postmortem editor, draft", "/postmortems/{postmortem_draft}/edit/"),
    Case("postmortem editor, French", "/postmortems/{postmortem_draft}/edit/?lang=fr"),
    Case("retrospective editor", "/postmortems/{retrospective}/edit/"),
    Case(
        "themes of one factor, by month",
        "/insights/themes/?factor=monitoring-gap&by=month",
        who="admin",
    ),
    Case("insights, 12 months, SEV2", "/insights/?period=12m&severity=2", who="admin"),
    Case("insights with a bad filter", "/insights/?since=soon", who="admin", status=400),
    Case("action items filtered", "/action-items/?status=active&overdue=on"),
    Case(
        "action item, as its owner who is a viewer", "/action-items/{viewers_item}/", who="victor"
    ),
    Case("report, as a reviewer", "/reports/{report}/", who="admin"),
    Case("services of a team", "/services/?team=platform"),
    Case("service, as a viewer", "/services/{service}/", who="victor"),
    Case("chat link expired", "/chat/link/not-a-link/", status=400),
    Case("search results", "/search/?q=database+failover"),
    Case("search with a bad filter", "/search/?q=database&since=soon", status=400),
]


def _page_cases() -> list[Case]:
    cases = []
    for route in _routes():
        if route in ACTIONS or route in NOT_PAGES:
            continue
        cases.append(ROUTE_CASES.get(route) or Case(route, _fill(route)))
    return cases + STATES


PAGE_CASES = _page_cases()


@dataclass(frozen=True)
class Mistake:
    """A form sent with a mistake in it, from the page that has the form."""

    name: str
    path: str
    data: dict[str, str]
    status: int
    who: str = "amira"
    page: str = ""  # where the form is; the action's own page when empty


MISTAKES = [
    Mistake("declare without a title", "/", {"title": "", "severity": "9"}, 422),
    Mistake(
        "note without text",
        "/incidents/{incident}/timeline/",
        {"body": "", "occurred_at": "soon"},
        422,
        page="/incidents/{incident}/",
    ),
    Mistake(
        "incident details",
        "/incidents/{incident}/details/",
        {"declared_at": "", "initial-declared_at": "x"},
        422,
        page="/incidents/{incident}/",
    ),
    Mistake(
        "role for nobody",
        "/incidents/{incident}/roles/assign/",
        {"role": "scribe", "user": "ghost"},
        422,
        page="/incidents/{incident}/",
    ),
    Mistake(
        "public update without French",
        "/incidents/{incident}/updates/",
        {"audience": "public", "status": "identified", "text_en": "Found it.", "text_fr": ""},
        422,
        page="/incidents/{incident}/",
    ),
    Mistake(
        "update with blameful wording",
        "/incidents/{incident}/updates/",
        {
            "audience": "internal",
            "status": "identified",
            "text_en": "The outage was caused by human error.",
            "text_fr": "",
        },
        200,
        page="/incidents/{incident}/",
    ),
    Mistake(
        "detection without an answer",
        "/incidents/{incident}/detection/",
        {"detection_source": ""},
        422,
        page="/incidents/{incident}/",
    ),
    Mistake("empty correction", "/incidents/{incident}/timeline/{event}/edit/", {"body": ""}, 422),
    Mistake(
        "link to no incident",
        "/incidents/{incident}/links/",
        {"to": "not a reference", "kind": "related"},
        422,
        page="/incidents/{incident}/",
    ),
    Mistake("merge into itself", "/incidents/{incident}/merge/", {"into": "{incident}"}, 422),
    Mistake(
        "preferences", "/accounts/preferences/", {"timezone": "Nowhere", "language": "en"}, 422
    ),
    Mistake(
        "wrong password",
        "/accounts/login/",
        {"username": "nobody", "password": "wrong"},
        200,
        who="anonymous",
    ),
    Mistake(
        "postmortem without a title", "/postmortems/new/", {"kind": "success", "title": ""}, 422
    ),
    Mistake(
        "postmortem details", "/postmortems/{postmortem_in_review}/details/", {"title": ""}, 422
    ),
    Mistake(
        "contributing factor too long",
        "/postmortems/{postmortem_in_review}/factors/",
        {"other": "x" * 60},
        422,
    ),
    Mistake(
        "empty comment",
        "/postmortems/{postmortem_in_review}/comments/",
        {"body": ""},
        422,
        page="/postmortems/{postmortem_in_review}/",
    ),
    Mistake(
        "approving too soon",
        "/postmortems/{postmortem_in_review}/status/",
        {"action": "approve"},
        409,
        who="jonas",
        page="/postmortems/{postmortem_in_review}/",
    ),
    Mistake(
        "changes requested without saying which",
        "/postmortems/{postmortem_in_review}/decision/",
        {"decision": "changes_requested"},
        422,
        who="jonas",
        page="/postmortems/{postmortem_in_review}/",
    ),
    Mistake(
        "a section saved by someone else first",
        "/postmortems/{postmortem_in_review}/edit/summary/",
        {"body": "Mine", "base_version": "0"},
        409,
        page="/postmortems/{postmortem_in_review}/edit/",
    ),
    Mistake(
        "action item for nobody",
        "/action-items/new/",
        {"incident": "{incident}", "title": "", "owner": "ghost"},
        422,
        page="/action-items/new/?incident={incident}",
    ),
    Mistake(
        "action item owner who does not exist",
        "/action-items/{item}/edit/",
        {"owner": "ghost", "initial-owner": "{item_owner}"},
        422,
        page="/action-items/{item}/",
    ),
    Mistake(
        "won't do without a reason",
        "/action-items/{item}/status/",
        {"status": "wont_do", "reason": ""},
        422,
        page="/action-items/{item}/",
    ),
    Mistake(
        "service with a runbook that is not a web address",
        "/services/{service}/edit/",
        {"name": "{service}", "runbooks": "Restart javascript:alert(1)", "owners": "ghosts"},
        422,
    ),
    # Not a mistake: a change that went through, and the page that confirms it.
    Mistake("notifications saved", "/notifications/", {"digests_muted": "on"}, 200),
    Mistake("report without choosing a name or none", "/reports/new/", {"kind": "near-miss"}, 422),
    Mistake(
        "report closed without a note",
        "/reports/{report}/close/",
        {"note": ""},
        422,
        who="admin",
        page="/reports/{report}/",
    ),
]


# --- the browser and the server -------------------------------------------------


@dataclass
class Walk:
    server: RunningServer
    browser: Any
    world: dict[str, Any]
    pages: dict[str, Any] = field(default_factory=dict)

    def address(self, path: str, language: str) -> str:
        """The path with the world's values in, under the language prefix
        (the single sign-on pages have none: they go by Accept-Language)."""
        path = path.format_map(self.world)
        return path if path.startswith(UNPREFIXED) else f"/{language}{path}"

    def page(self, who: str, language: str) -> Any:
        """A page signed in as `who`, kept for the whole module (signing in
        is slow on purpose, and the address says the language), or one for
        nobody that asks for `language`."""
        key = f"anonymous-{language}" if who == "anonymous" else who
        if key not in self.pages:
            context = self.browser.new_context(base_url=self.server.url, locale=language)
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            if who != "anonymous":
                page.goto(f"/{language}/accounts/login/")
                page.fill("#id_username", who)
                page.fill("#id_password", DEMO_PASSWORD)
                page.locator("form.stacked-form button[type=submit]").click()
                page.wait_for_url(re.compile(rf"/{language}/(?!accounts/login)"))
            self.pages[key] = page
        return self.pages[key]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerDatabase]:
    require_chromium_and_axe()
    with server_database(tmp_path_factory.mktemp("accessibility")) as database:
        # Single sign-on on, with a provider nobody answers for.
        database.env.update(
            {
                "HOTWASH_OIDC_ISSUER": f"http://127.0.0.1:{free_port()}",
                "HOTWASH_OIDC_CLIENT_ID": "hotwash",
                "HOTWASH_OIDC_CLIENT_SECRET": "not-a-secret",
                "HOTWASH_OIDC_NAME": OIDC_NAME,
            }
        )
        yield database


@pytest.fixture(scope="module")
def walk(database: ServerDatabase) -> Iterator[Walk]:
    made = database.run(
        "shell", "-v0", "-c", f"import runpy; runpy.run_path({str(WORLD)!r})['main']()"
    )
    world = json.loads(made.strip().splitlines()[-1])
    with running_server(database) as server, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield Walk(server, browser, world)
        browser.close()


# --- the tests --------------------------------------------------------------------


def _checked(page: Any, response: Any, where: str, language: str) -> None:
    misnested = misnested_in_paragraphs(response.text())
    assert not misnested, f"{where}: inside a <p>: {misnested}"
    assert_accessible(page, where, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", PAGE_CASES, ids=lambda case: case.name)
def test_the_page_is_accessible(walk: Walk, case: Case, language: str) -> None:
    page = walk.page(case.who, language)
    address = walk.address(case.path, language)
    response = page.goto(address)
    assert response is not None
    assert response.status == case.status, f"{address}: {response.status}"
    assert urlsplit(page.url).path == urlsplit(address).path, f"{address} led to {page.url}"
    _checked(page, response, f"{case.who} on {address}", language)


# Sends the page's own form for that address (a new one if the page has
# none), with the given values, skipping the browser's own checks.
SUBMIT = """({action, fields}) => {
  const here = (form) => new URL(form.action, location.href).pathname === action;
  let form = [...document.forms].find(here);
  if (!form) {
    form = document.createElement("form");
    form.method = "post";
    form.action = action;
    const token = document.querySelector("input[name=csrfmiddlewaretoken]").cloneNode();
    form.append(token);
    document.body.append(form);
  }
  for (const [name, value] of Object.entries(fields)) {
    const field = form.elements.namedItem(name);
    if (field instanceof HTMLSelectElement && ![...field.options].some((o) => o.value === value)) {
      field.add(new Option(value, value));
    }
    if (field && "value" in field && !(field instanceof HTMLButtonElement)) {
      field.value = value;
    } else {
      const input = Object.assign(document.createElement("input"), {type: "hidden", name, value});
      form.append(input);
    }
  }
  form.submit();
}"""


# Each mistake in one language, the two taking turns: the markup of an
# answer does not depend on the language, its messages do.
MISTAKES_IN = [(mistake, LANGUAGES[n % 2]) for n, mistake in enumerate(MISTAKES)]


@pytest.mark.parametrize(
    ("mistake", "language"), MISTAKES_IN, ids=[f"{m.name}-{lang}" for m, lang in MISTAKES_IN]
)
def test_a_form_sent_with_a_mistake_is_answered_accessibly(
    walk: Walk, mistake: Mistake, language: str
) -> None:
    """The form is sent as the browser would send it, without its own
    checks (required fields) that would stop some of these mistakes."""
    page = walk.page(mistake.who, language)
    page.goto(walk.address(mistake.page or mistake.path, language))
    action = walk.address(mistake.path, language)
    fields = {name: value.format_map(walk.world) for name, value in mistake.data.items()}
    with page.expect_navigation() as navigation:
        page.evaluate(SUBMIT, {"action": action, "fields": fields})
    response = navigation.value
    assert response.status == mistake.status, f"{action}: {response.status}"
    if mistake.status != 200 or mistake.who == "anonymous":
        # The mistake is announced (an error summary or a message).
        assert page.locator("[role=alert]").count(), f"{action}: nothing with role=alert"
    _checked(page, response, f"{mistake.who} sending {action}", language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", ["500", "locked-out"])
def test_the_pages_only_a_fault_shows_are_accessible(walk: Walk, name: str, language: str) -> None:
    """Rendered by accessibility_world.py, shown from the server's address
    so that the stylesheet loads as it would."""
    page = walk.page("anonymous", language)
    page.goto(f"/{language}/postmortems/public/")
    html = walk.world["standalone"][name][language]
    page.set_content(html)
    assert not misnested_in_paragraphs(html)
    assert_accessible(page, f"the {name} page", language)


def test_every_action_address_only_acts(walk: Walk) -> None:
    """What ACTIONS lists is not a page: its GET answers 405 or leads on."""
    routes = _routes()
    assert not ACTIONS - set(routes), "ACTIONS lists routes that no longer exist"
    page = walk.page("amira", "en")
    answers = {}
    for route in sorted(ACTIONS):
        address = walk.address(_fill(route), "en")
        answers[address] = page.request.get(address, max_redirects=0).status
    assert {
        address: status for address, status in answers.items() if status not in (302, 405)
    } == {}
