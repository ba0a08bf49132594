"""Single sign-on with OpenID Connect, end to end against a stand-in provider
on loopback (tests/support/oidc_standin.py): discovery, authorize, token, JWKS and
userinfo over real HTTP; Hotwash driven with Django's test client."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import Settings

from hotwash.accounts.models import Profile, Role
from hotwash.accounts.oidc import forget_provider
from hotwash.accounts.oidc_config import parse_role_map
from hotwash.accounts.oidc_models import OidcIdentity
from hotwash.accounts.services import create_user
from hotwash.core.models import AuditRecord
from hotwash.envconfig import ConfigurationError
from tests.support.oidc_standin import OidcStandIn
from tests.support.servers import free_port, running_server, server_database

SITE = "https://hotwash.example.test"
CALLBACK = f"{SITE}/oidc/callback/"
PROVIDER_NAME = "Stand-in ID"
ROLE_MAP = {"hotwash-admins": Role.ADMIN, "hotwash-responders": Role.RESPONDER}
PASSWORD = "correct horse 42"

# The OpenID Connect side (discovery, tokens, keys, claims): the accounts it
# makes go through the accounts services, tested on both databases. Run once,
# by the PostgreSQL suite.
pytestmark = pytest.mark.database_independent(suite="postgres")

ADA = {
    "sub": "00u-ada-4711",
    "email": "ada@example.org",
    "email_verified": True,
    "preferred_username": "ada.lovelace",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "name": "Ada Lovelace",
    "locale": "fr-CA",
    "zoneinfo": "Europe/Paris",
    "groups": ["everyone", "hotwash-admins"],
}


@pytest.fixture
def provider(settings: Settings) -> Iterator[OidcStandIn]:
    """The stand-in provider, and Hotwash configured to use it."""
    with OidcStandIn(redirect_uris=(CALLBACK,)) as standin:
        settings.SITE_URL = SITE
        settings.OIDC_ISSUER = standin.issuer
        settings.OIDC_CLIENT_ID = standin.client_id
        settings.OIDC_CLIENT_SECRET = standin.client_secret
        settings.OIDC_NAME = PROVIDER_NAME
        settings.OIDC_ROLE_CLAIM = "groups"
        settings.OIDC_ROLE_MAP = dict(ROLE_MAP)
        forget_provider()
        yield standin
    forget_provider()


def _authorize(client: Client, start_url: str = "/oidc/authenticate/") -> str:
    """Start signing in, follow the redirect to the provider's authorize
    endpoint over HTTP, and return the callback path and query it sends the
    browser back to."""
    start = client.get(start_url)
    assert start.status_code == 302, start.content.decode()[:2000]
    answer = httpx.get(start["Location"], follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return f"{back.path}?{back.query}"


def _sign_in(client: Client, start_url: str = "/oidc/authenticate/") -> Any:
    return client.get(_authorize(client, start_url))


def _signed_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def _nothing_created(client: Client) -> None:
    assert not User.objects.exists()
    assert not OidcIdentity.objects.exists()
    assert _signed_in_as(client) is None
    assert not AuditRecord.objects.filter(action="auth.logged_in").exists()


def _failed_records() -> list[dict[str, Any]]:
    return [
        record.changes
        for record in AuditRecord.objects.filter(action="auth.login_failed").order_by("pk")
    ]


# --- the whole flow -------------------------------------------------------------


@pytest.mark.django_db
def test_first_sign_in_creates_the_account_with_the_mapped_role(provider: OidcStandIn) -> None:
    provider.sign_in_as(**ADA)
    client = Client()
    response = _sign_in(client)

    assert response.status_code == 302
    assert response["Location"] == "/fr/"  # home, in the person's language
    user = _signed_in_as(client)
    assert user is not None
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "ada.lovelace",
        "ada@example.org",
        "Ada",
        "Lovelace",
    )
    assert not user.has_usable_password()
    profile = Profile.objects.get(user=user)
    assert (profile.role, profile.language, profile.timezone) == (
        Role.ADMIN,
        "fr",
        "Europe/Paris",
    )
    assert user.is_superuser and user.is_staff
    identity = OidcIdentity.objects.get()
    assert (identity.user, identity.issuer, identity.subject) == (
        user,
        provider.issuer,
        "00u-ada-4711",
    )
    # Through django.contrib.auth.login, so the sign-in audit record is there.
    signed_in = AuditRecord.objects.get(action="auth.logged_in")
    assert signed_in.actor == user
    assert "oidc" in signed_in.changes["backend"].lower()
    assert AuditRecord.objects.filter(action="user.created", object_id=str(user.pk)).exists()
    # And the person can use Hotwash.
    assert client.get("/fr/").status_code == 200


@pytest.mark.django_db
def test_the_flow_uses_pkce_nonce_state_and_discovered_endpoints(provider: OidcStandIn) -> None:
    provider.sign_in_as(**ADA)
    client = Client()
    start = client.get("/oidc/authenticate/")
    location = urlsplit(start["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{provider.issuer}/authorize"
    asked = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert asked["response_type"] == "code"
    assert asked["client_id"] == provider.client_id
    assert asked["redirect_uri"] == CALLBACK
    assert {"openid", "email", "profile"} <= set(asked["scope"].split())
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32
    assert "code_verifier" not in asked  # the secret half stays in Hotwash's session

    answer = httpx.get(start["Location"], follow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["location"])
    assert client.get(f"{back.path}?{back.query}").status_code == 302

    token_request = next(seen for seen in provider.requests if seen.path == "/token")
    assert len(token_request.form["code_verifier"][0]) >= 43
    assert token_request.form["redirect_uri"] == [CALLBACK]
    assert provider.paths()[0] == "/.well-known/openid-configuration"
    assert {"/jwks", "/userinfo"} <= set(provider.paths())


@pytest.mark.django_db
def test_the_role_follows_the_groups_at_every_sign_in(provider: OidcStandIn) -> None:
    provider.sign_in_as(**ADA)
    assert _sign_in(Client()).status_code == 302
    user = User.objects.get()
    assert Profile.objects.get(user=user).role == Role.ADMIN

    provider.sign_in_as(**{**ADA, "groups": ["hotwash-responders"]})
    assert _sign_in(Client()).status_code == 302
    user.refresh_from_db()
    assert Profile.objects.get(user=user).role == Role.RESPONDER
    assert not user.is_superuser and not user.is_staff  # no admin left by the back door

    provider.sign_in_as(**{**ADA, "groups": []})
    assert _sign_in(Client()).status_code == 302
    assert Profile.objects.get(user=user).role == Role.VIEWER

    assert User.objects.count() == 1
    assert OidcIdentity.objects.count() == 1
    changes = [
        record.changes
        for record in AuditRecord.objects.filter(action="user.role_changed").order_by("pk")
    ]
    assert changes == [
        {"before": "admin", "after": "responder", "source": "oidc"},
        {"before": "responder", "after": "viewer", "source": "oidc"},
    ]


@pytest.mark.django_db
def test_the_role_claim_is_read_from_userinfo_too(
    provider: OidcStandIn, settings: Settings
) -> None:
    settings.OIDC_ROLE_CLAIM = "roles"
    provider.sign_in_as(**{key: value for key, value in ADA.items() if key != "groups"})
    provider.userinfo_extra = {"roles": "hotwash-responders"}  # a single string
    assert _sign_in(Client()).status_code == 302
    assert Profile.objects.get().role == Role.RESPONDER


@pytest.mark.django_db
def test_without_a_role_map_roles_are_managed_in_hotwash(
    provider: OidcStandIn, settings: Settings
) -> None:
    settings.OIDC_ROLE_MAP = {}
    provider.sign_in_as(**ADA)
    assert _sign_in(Client()).status_code == 302
    profile = Profile.objects.get()
    assert profile.role == Role.VIEWER
    profile.role = Role.RESPONDER  # an admin promotes them in Hotwash
    profile.save()
    assert _sign_in(Client()).status_code == 302
    assert Profile.objects.get().role == Role.RESPONDER


@pytest.mark.django_db
def test_a_minimal_identity_gets_defaults(provider: OidcStandIn) -> None:
    provider.sign_in_as(sub="bare-subject", locale="de-DE", zoneinfo="Mars/Olympus_Mons")
    client = Client()
    assert _sign_in(client).status_code == 302
    user = _signed_in_as(client)
    assert user is not None
    assert user.email == ""
    assert user.username  # something unique was made up
    profile = Profile.objects.get(user=user)
    assert (profile.role, profile.language, profile.timezone) == (Role.VIEWER, "en", "UTC")


@pytest.mark.django_db
def test_a_taken_username_is_not_a_link(provider: OidcStandIn) -> None:
    existing = create_user("ada.lovelace", password=PASSWORD, role=Role.ADMIN)
    provider.sign_in_as(**{**ADA, "email": "someone@example.org"})
    client = Client()
    assert _sign_in(client).status_code == 302
    user = _signed_in_as(client)
    assert user is not None and user != existing
    assert user.username != "ada.lovelace"
    assert Profile.objects.get(user=existing).role == Role.ADMIN


@pytest.mark.django_db
def test_next_is_kept_when_safe(provider: OidcStandIn) -> None:
    provider.sign_in_as(**ADA)
    response = _sign_in(Client(), "/oidc/authenticate/?next=/en/action-items/")
    assert response["Location"] == "/en/action-items/"
    response = _sign_in(Client(), "/oidc/authenticate/?next=https://evil.example/")
    assert response["Location"] == "/fr/"


@pytest.mark.django_db
def test_discovery_and_keys_are_fetched_once_for_several_sign_ins(provider: OidcStandIn) -> None:
    provider.sign_in_as(**ADA)
    for _attempt in range(3):
        assert _sign_in(Client()).status_code == 302
    assert provider.paths().count("/.well-known/openid-configuration") == 1
    assert provider.paths().count("/jwks") == 1
    assert provider.paths().count("/token") == 3


# --- linking to existing accounts -----------------------------------------------


@pytest.mark.django_db
def test_a_verified_email_links_an_existing_password_account(provider: OidcStandIn) -> None:
    existing = create_user("ada", password=PASSWORD, role=Role.RESPONDER, email="Ada@Example.org")
    provider.sign_in_as(**ADA)
    client = Client()
    assert _sign_in(client).status_code == 302
    assert _signed_in_as(client) == existing
    assert User.objects.count() == 1
    assert OidcIdentity.objects.get().user == existing
    assert Profile.objects.get(user=existing).role == Role.ADMIN  # the mapping applies
    assert AuditRecord.objects.filter(action="auth.oidc_linked", object_id=str(existing.pk))


@pytest.mark.django_db
@pytest.mark.parametrize("verified", [False, None, "true"])
def test_an_unverified_email_never_links(provider: OidcStandIn, verified: Any) -> None:
    existing = create_user("ada", password=PASSWORD, role=Role.RESPONDER, email="ada@example.org")
    claims = {**ADA, "email_verified": verified}
    if verified is None:
        del claims["email_verified"]
    provider.sign_in_as(**claims)
    client = Client()
    response = _sign_in(client)
    assert response.status_code == 409
    html = response.content.decode()
    assert "ada@example.org" in html
    assert "administrator" in html
    assert _signed_in_as(client) is None
    assert User.objects.count() == 1
    assert not OidcIdentity.objects.exists()
    assert Profile.objects.get(user=existing).role == Role.RESPONDER
    assert _failed_records()[-1]["reason"] == "email_not_verified"


@pytest.mark.django_db
def test_a_deactivated_account_cannot_sign_in(provider: OidcStandIn) -> None:
    provider.sign_in_as(**ADA)
    assert _sign_in(Client()).status_code == 302
    User.objects.update(is_active=False)
    client = Client()
    response = _sign_in(client)
    assert response.status_code == 403
    assert _signed_in_as(client) is None


# --- refusals: nothing created ----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fault", ["tampered", "wrong_audience", "expired", "wrong_nonce", "wrong_issuer", "unknown_key"]
)
def test_a_bad_id_token_is_refused_with_nothing_created(provider: OidcStandIn, fault: str) -> None:
    provider.sign_in_as(**ADA)
    provider.fault = fault
    client = Client()
    response = _sign_in(client)
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "could not be verified" in html
    _nothing_created(client)
    failed = _failed_records()
    assert len(failed) == 1
    assert failed[0]["method"] == "oidc"
    assert failed[0]["reason"] == "id_token_invalid"


@pytest.mark.django_db
def test_a_replayed_state_is_refused(provider: OidcStandIn) -> None:
    provider.sign_in_as(**ADA)
    client = Client()
    callback = _authorize(client)
    assert client.get(callback).status_code == 302
    user = _signed_in_as(client)

    # The same answer again, in another browser (someone who copied the URL)...
    stranger = Client()
    response = stranger.get(callback)
    assert response.status_code == 400
    assert _signed_in_as(stranger) is None
    # ... and in the same one.
    assert client.get(callback).status_code == 400
    assert _signed_in_as(client) == user
    assert User.objects.count() == 1
    assert AuditRecord.objects.filter(action="auth.logged_in").count() == 1
    assert provider.paths().count("/token") == 1  # the code was never sent again


@pytest.mark.django_db
def test_a_state_never_issued_is_refused(provider: OidcStandIn) -> None:
    client = Client()
    client.get("/oidc/authenticate/")  # a state exists in this session, not this one
    response = client.get("/oidc/callback/?code=made-up&state=made-up")
    assert response.status_code == 400
    _nothing_created(client)
    assert "/token" not in provider.paths()


@pytest.mark.django_db
def test_a_callback_without_code_is_refused(provider: OidcStandIn) -> None:
    client = Client()
    response = client.get("/oidc/callback/")
    assert response.status_code == 400
    _nothing_created(client)


@pytest.mark.django_db
def test_a_refusal_at_the_provider_gives_a_clear_page(provider: OidcStandIn) -> None:
    client = Client()
    start = client.get("/oidc/authenticate/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get(f"/oidc/callback/?error=access_denied&state={state}")
    assert response.status_code == 403
    assert PROVIDER_NAME in response.content.decode()
    _nothing_created(client)
    assert _failed_records()[-1]["reason"] == "provider_error"
    # The state is spent: a code for it later is refused.
    assert client.get(f"/oidc/callback/?code=x&state={state}").status_code == 400


@pytest.mark.django_db
def test_a_wrong_client_secret_is_refused(provider: OidcStandIn, settings: Settings) -> None:
    provider.sign_in_as(**ADA)
    settings.OIDC_CLIENT_SECRET = "not-the-secret"
    client = Client()
    response = _sign_in(client)
    assert response.status_code == 502
    _nothing_created(client)


# --- a provider that is down or answers garbage -------------------------------------


@pytest.mark.django_db
def test_a_provider_that_is_down_gives_a_clear_page(settings: Settings) -> None:
    settings.OIDC_ISSUER = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.OIDC_CLIENT_ID = "hotwash"
    settings.OIDC_CLIENT_SECRET = "secret"
    settings.OIDC_NAME = PROVIDER_NAME
    forget_provider()
    client = Client()
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 503
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert f"{PROVIDER_NAME} cannot be reached" in html
    _nothing_created(client)
    assert _failed_records()[-1]["reason"] == "provider_unavailable"

    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"
    french = client.get("/oidc/authenticate/")
    assert french.status_code == 503
    assert '<html lang="fr">' in french.content.decode()
    # The sign-in page itself still works, and still offers the provider.
    page = client.get("/en/accounts/login/")
    assert page.status_code == 200
    assert f"Sign in with {PROVIDER_NAME}" in page.content.decode()
    forget_provider()


@pytest.mark.django_db
def test_a_provider_gone_between_authorize_and_token_gives_a_clear_page(
    provider: OidcStandIn,
) -> None:
    provider.sign_in_as(**ADA)
    client = Client()
    callback = _authorize(client)
    provider.stop()
    response = client.get(callback)
    assert response.status_code == 503
    _nothing_created(client)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["discovery", "token", "jwks", "userinfo"])
def test_a_provider_answering_garbage_gives_a_clear_page(
    provider: OidcStandIn, endpoint: str
) -> None:
    provider.sign_in_as(**ADA)
    provider.garbage.add(endpoint)
    client = Client()
    start = "/oidc/authenticate/"
    response = client.get(start) if endpoint == "discovery" else _sign_in(client, start)
    assert response.status_code == 502
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "unexpected answer" in html
    _nothing_created(client)


@pytest.mark.django_db
def test_discovery_naming_another_issuer_is_refused(
    provider: OidcStandIn, settings: Settings
) -> None:
    settings.OIDC_ISSUER = provider.issuer + "/tenant-a"
    forget_provider()
    # The stand-in does not serve that path's discovery at all: 404.
    response = Client().get("/oidc/authenticate/")
    assert response.status_code == 502


@pytest.mark.django_db
def test_sign_on_is_off_until_configured(settings: Settings) -> None:
    settings.OIDC_ISSUER = ""
    assert Client().get("/oidc/authenticate/").status_code == 404
    assert Client().get("/oidc/callback/?code=x&state=y").status_code == 404
    page = Client().get("/en/accounts/login/").content.decode()
    assert "Sign in with" not in page
    assert 'name="password"' in page


# --- the sign-in page and password sign-in ---------------------------------------


@pytest.mark.django_db
def test_the_sign_in_page_offers_the_provider_first(provider: OidcStandIn) -> None:
    page = Client().get("/en/accounts/login/?next=/en/action-items/").content.decode()
    button = page.index(f"Sign in with {PROVIDER_NAME}")
    assert button < page.index('name="password"')
    assert "/oidc/authenticate/?next=/en/action-items/" in page
    french = Client().get("/fr/accounts/login/").content.decode()
    assert PROVIDER_NAME in french
    assert 'href="/oidc/authenticate/"' in french


@pytest.mark.django_db
def test_password_sign_in_can_be_switched_off(provider: OidcStandIn, settings: Settings) -> None:
    settings.PASSWORD_LOGIN = False
    create_user("root", password=PASSWORD, role=Role.ADMIN)
    page = Client().get("/en/accounts/login/").content.decode()
    assert f"Sign in with {PROVIDER_NAME}" in page
    assert 'name="password"' not in page

    client = Client()
    response = client.post("/en/accounts/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code in (200, 403)
    assert _signed_in_as(client) is None
    assert "Password sign-in is switched off" in response.content.decode()

    admin = client.post(
        "/en/admin/login/",
        {"username": "root", "password": PASSWORD, "next": "/en/admin/"},
    )
    assert admin.status_code in (200, 403)
    assert _signed_in_as(client) is None
    assert not AuditRecord.objects.filter(action="auth.logged_in").exists()

    # Single sign-on still works.
    provider.sign_in_as(**ADA)
    assert _sign_in(client).status_code == 302
    assert _signed_in_as(client) is not None


@pytest.mark.django_db
def test_password_sign_in_works_by_default(provider: OidcStandIn) -> None:
    create_user("root", password=PASSWORD, role=Role.ADMIN)
    client = Client()
    response = client.post("/en/accounts/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 302
    assert _signed_in_as(client) is not None


# --- configuration ----------------------------------------------------------------


def test_the_role_map_is_parsed() -> None:
    assert parse_role_map(
        "HOTWASH_OIDC_ROLE_MAP", "hotwash-admins=admin, hotwash-responders = responder,"
    ) == {"hotwash-admins": "admin", "hotwash-responders": "responder"}
    assert parse_role_map("HOTWASH_OIDC_ROLE_MAP", "") == {}


@pytest.mark.parametrize(
    "raw",
    ["hotwash-admins", "hotwash-admins=owner", "=admin", "a=admin,a=viewer", "a=b=admin"],
)
def test_a_bad_role_map_names_the_variable(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="HOTWASH_OIDC_ROLE_MAP"):
        parse_role_map("HOTWASH_OIDC_ROLE_MAP", raw)


def _start(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter, as `hotwash` would."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("HOTWASH_OIDC")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "hotwash.settings",
            "HOTWASH_DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


CONFIGURED = {
    "HOTWASH_OIDC_ISSUER": "https://login.example.org/tenant",
    "HOTWASH_OIDC_CLIENT_ID": "hotwash",
    "HOTWASH_OIDC_CLIENT_SECRET": "secret",
}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({**CONFIGURED, "HOTWASH_OIDC_ROLE_MAP": "admins:admin"}, "HOTWASH_OIDC_ROLE_MAP"),
        ({**CONFIGURED, "HOTWASH_OIDC_CLIENT_ID": ""}, "HOTWASH_OIDC_CLIENT_ID"),
        ({**CONFIGURED, "HOTWASH_OIDC_CLIENT_SECRET": ""}, "HOTWASH_OIDC_CLIENT_SECRET"),
        ({**CONFIGURED, "HOTWASH_OIDC_ISSUER": "login.example.org"}, "HOTWASH_OIDC_ISSUER"),
        ({"HOTWASH_PASSWORD_LOGIN": "0"}, "HOTWASH_PASSWORD_LOGIN"),
        ({**CONFIGURED, "HOTWASH_PASSWORD_LOGIN": "perhaps"}, "HOTWASH_PASSWORD_LOGIN"),
    ],
)
def test_bad_sign_on_settings_stop_start_up(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = _start(env, tmp_path)
    assert result.returncode != 0
    assert named in result.stderr


def test_good_sign_on_settings_start_without_calling_the_provider(tmp_path: Path) -> None:
    env = {
        **CONFIGURED,
        "HOTWASH_OIDC_ROLE_MAP": "hotwash-admins=admin,hotwash-responders=responder",
        "HOTWASH_PASSWORD_LOGIN": "0",
    }
    result = _start(env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.server
def test_hotwash_serves_pages_while_the_provider_is_down(tmp_path: Path) -> None:
    with server_database(tmp_path) as database:
        database.env.update(
            {
                "HOTWASH_OIDC_ISSUER": f"http://127.0.0.1:{free_port()}",
                "HOTWASH_OIDC_CLIENT_ID": "hotwash",
                "HOTWASH_OIDC_CLIENT_SECRET": "secret",
                "HOTWASH_OIDC_NAME": PROVIDER_NAME,
            }
        )
        with running_server(database) as server:
            page = httpx.get(f"{server.url}/en/accounts/login/", timeout=10)
            assert page.status_code == 200
            assert f"Sign in with {PROVIDER_NAME}" in page.text
            start = httpx.get(f"{server.url}/oidc/authenticate/", timeout=30)
            assert start.status_code == 503
            assert f"{PROVIDER_NAME} cannot be reached" in start.text
