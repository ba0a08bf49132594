"""Shared fixtures. Tests run against a real database: SQLite or PostgreSQL,
whichever DATABASE_URL names (`make test` runs the suite on both)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from pytest_django import Settings

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_api_token, create_user
from hotwash.incidents.models import Incident
from hotwash.incidents.services import declare_incident, forget_participants
from hotwash.live import bus
from hotwash.teams.models import Team
from hotwash.triggers.engine import forget_claims
from tests.integrations.github.standin import GitHubStandIn
from tests.support.cli import Cli, serving
from tests.support.notifications import WebhookSink, webhook_sink
from tests.support.trackers import Linked, linker

# Tests that start real processes (a server, a browser, `hotwash` commands):
# they take most of the suite's time.
HEAVY_MARKERS = ("server", "browser", "processes")


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _leave_out_database_independent_tests_on_postgres(config, items)
    _heavy_files_first(items)


def _leave_out_database_independent_tests_on_postgres(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """`make test` runs the suite twice, once per database: a test marked
    `database_independent` would only repeat itself, so it runs in one of
    the two (the other reports it as deselected). The SQLite run, unless
    the mark says `suite="postgres"`: the two runs go side by side, and
    the long ones among these tests are shared out so that neither run
    waits for the other."""
    suite = "postgres" if "postgres" in str(settings.DATABASES["default"]["ENGINE"]) else "sqlite"

    def elsewhere(item: pytest.Item) -> bool:
        mark = item.get_closest_marker("database_independent")
        return mark is not None and mark.kwargs.get("suite", "sqlite") != suite

    left_out = [item for item in items if elsewhere(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not elsewhere(item)]


def _heavy_files_first(items: list[pytest.Item]) -> None:
    """The files that start processes first, the many quick tests after
    them: with several processes per suite (`make test`, pytest-xdist,
    a file per process), the quick ones then fill the gaps at the end
    instead of one long file running alone. pytest-django's order (tests
    in a transaction before transactional ones, before those without a
    database) is kept among the rest; the heavy files use no test database."""
    heavy = {
        item.path for item in items if any(item.get_closest_marker(name) for name in HEAVY_MARKERS)
    }
    items.sort(key=lambda item: item.path not in heavy)  # stable: keeps each group's order


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    """The real hasher is deliberately slow; tests create many users."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        # Still verifies hashes made by module-scoped fixtures.
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _insights_computed_on_the_page(settings: Settings) -> None:
    """Whether the insights page shows kept figures while the worker computes
    newer ones depends on how long computing took (a timing); tests compute
    on the page unless they say otherwise (tests/insights/test_freshness.py)."""
    settings.INSIGHTS_STALE_SECONDS = 0


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    """Each test starts in English, whatever language an earlier test (a
    request, a French email) left active in this thread."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _forget_process_memories_after_each_test() -> Iterator[None]:
    """The process remembers committed participants (incidents.services)
    and trigger claims (triggers.engine). A test that runs on_commit
    callbacks inside its rolled-back transaction
    (django_capture_on_commit_callbacks(execute=True)) would otherwise leave
    pairs for rows that never existed, and the next test, reusing the ids,
    would skip adding its declarer or firing its policy."""
    yield
    forget_participants()
    forget_claims()


@pytest.fixture
def responder(db: None) -> User:
    return create_user(
        "amira", password="correct horse 42", role=Role.RESPONDER, first_name="Amira"
    )


@pytest.fixture
def other_responder(db: None) -> User:
    return create_user("sam", password="correct horse 42", role=Role.RESPONDER, first_name="Sam")


@pytest.fixture
def viewer(db: None) -> User:
    return create_user("victor", password="correct horse 42", role=Role.VIEWER)


@pytest.fixture
def admin_user(db: None) -> User:
    return create_user("ada", password="correct horse 42", role=Role.ADMIN)


@pytest.fixture
def responder_client(responder: User) -> Client:
    client = Client()
    client.force_login(responder)
    return client


@pytest.fixture
def responder_token(responder: User) -> str:
    return create_api_token(responder, name="tests")


@pytest.fixture
def api(responder_token: str) -> Client:
    """A test client that sends the responder's bearer token."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {responder_token}")


@pytest.fixture(autouse=True, scope="module")
def _no_listener_left_behind() -> Iterator[None]:
    # A test that opens an event stream starts this process's live listener;
    # on PostgreSQL it holds a connection to the test database, which could
    # not be dropped at the end of the run while it is open.
    yield
    bus.stop_listener()


@pytest.fixture
def incident(responder: User) -> Incident:
    """An incident the responder declared (SEV2). A file whose tests read
    another title or severity declares its own."""
    return declare_incident(actor=responder, title="Shop down", severity=2)


@pytest.fixture
def amira(db: None) -> User:
    """A person with an email address, for notifications (the `responder`
    has none)."""
    return create_user("amira", email="amira@example.org", first_name="Amira")


@pytest.fixture
def team(db: None) -> Team:
    return Team.objects.create(name="Payments", slug="payments")


@pytest.fixture
def github() -> Iterator[GitHubStandIn]:
    """A GitHub stand-in on loopback (tests/integrations/github/standin.py)."""
    with GitHubStandIn() as standin:
        yield standin


@pytest.fixture
def link_to(responder: User, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Linked]]:
    """Link an action item to an issue of the named tracker's stand-in
    (tests/support/trackers.py)."""
    with linker(responder, monkeypatch) as make:
        yield make


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    """An HTTP receiver for outbound webhooks on loopback."""
    with webhook_sink() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def cli(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """The client commands against a real `hotwash serve`, started once per
    test module (tests/support/cli.py: `serving`)."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    with serving(tmp_path_factory.mktemp(name)) as client:
        yield client
