"""Fixtures the report tests share: a reviewer (a responder granted the
permission through a group, as an organisation's learning reviewers would
be), and clients for each person."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from hotwash.accounts.models import Role
from hotwash.accounts.services import create_api_token, create_user
from hotwash.reports import services
from hotwash.reports.models import Report


@pytest.fixture
def reviewer(admin_user: User) -> User:
    """Rosa, a responder and a member of "learning reviewers"."""
    rosa = create_user("rosa", password="correct horse 42", role=Role.RESPONDER)
    group = Group.objects.create(name="learning reviewers")
    services.grant_review(group=group, actor=admin_user)
    rosa.groups.add(group)
    return User.objects.get(pk=rosa.pk)  # no permission cache from before


@pytest.fixture
def reporter(db: None) -> User:
    """Nadia: files reports, reviews none."""
    return create_user("nadia", password="correct horse 42", role=Role.RESPONDER)


def token_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)}")


def session_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def near_miss(author: User, *, anonymous: bool = False, text: str = "") -> Report:
    return services.file_report(
        author=author,
        kind="near-miss",
        text=text or "The deploy script almost ran against production.",
        anonymous=anonymous,
    )
