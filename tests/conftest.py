"""Shared fixtures. Tests run against a real database: SQLite or PostgreSQL,
whichever DATABASE_URL names (`make test` runs the suite on both)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from pytest_django import Settings

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_api_token, create_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    """The real hasher is deliberately slow; tests create many users."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        # Still verifies hashes made by module-scoped fixtures.
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    """Each test starts in English, whatever language an earlier test (a
    request, a French email) left active in this thread."""
    translation.activate("en")
    yield
    translation.deactivate()


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
