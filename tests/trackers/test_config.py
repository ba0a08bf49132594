"""Tracker settings: validation, credentials from the environment or secret
files (never stored), and the admin pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from pytest_django import Settings

from hotwash.teams.models import Team
from hotwash.trackers.credentials import CredentialMissing, api_token, read_secret, webhook_secret
from hotwash.trackers.models import AuthMethod, TrackerConfig

pytestmark = pytest.mark.django_db


def tracker(team: Team, **fields: Any) -> TrackerConfig:
    values: dict[str, Any] = {
        "team": team,
        "kind": "github",
        "project": "acme/payments",
        "token_env": "HOTWASH_SECRET_GITHUB_PAYMENTS",
    }
    values.update(fields)
    return TrackerConfig(**values)


def errors_of(config: TrackerConfig) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        config.full_clean()
    return error.value.message_dict


@pytest.mark.parametrize(
    ("fields", "api_base"),
    [
        ({}, "https://api.github.com"),
        ({"base_url": "https://github.example.com/api/v3/"}, "https://github.example.com/api/v3"),
        ({"kind": "gitlab", "project": "42"}, "https://gitlab.com"),
        ({"kind": "gitlab", "project": "acme/platform/payments"}, "https://gitlab.com"),
        (
            {
                "kind": "jira",
                "project": "ops",
                "base_url": "https://acme.atlassian.net",
                "auth_method": AuthMethod.BASIC,
                "username": "bot@acme.example",
                "issue_type": "Task",
            },
            "https://acme.atlassian.net",
        ),
        (
            {"kind": "jira", "project": "OPS", "base_url": "https://jira.acme.example"},
            "https://jira.acme.example",
        ),
    ],
)
def test_valid_settings_pass(team: Team, fields: dict[str, Any], api_base: str) -> None:
    config = tracker(team, **fields)
    config.full_clean()
    assert config.api_base == api_base


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "jira", "project": "OPS"}, "base_url", "Jira needs its address"),
        ({"base_url": "ftp://github.example.com"}, "base_url", "https://"),
        ({"base_url": "https://user:pw@github.example.com"}, "base_url", "without a query"),
        ({"project": "payments"}, "project", "owner/repository"),
        ({"kind": "gitlab", "project": "payments"}, "project", "full path"),
        (
            {
                "kind": "jira",
                "project": "ops team",
                "base_url": "https://a.atlassian.net",
            },
            "project",
            "project key",
        ),
        ({"auth_method": AuthMethod.BASIC, "username": "a@b.c"}, "auth_method", "Only Jira"),
        (
            {
                "kind": "jira",
                "project": "OPS",
                "base_url": "https://a.atlassian.net",
                "auth_method": AuthMethod.BASIC,
            },
            "username",
            "e-mail address",
        ),
        ({"issue_type": "Bug"}, "issue_type", "Only Jira"),
        ({"token_env": ""}, "token_env", "Name the environment variable"),
        ({"token_file": "/run/secrets/github"}, "token_file", "not both"),
        ({"token_env": "HOTWASH_SECRET_MY-TOKEN"}, "token_env", "letters, digits"),
        ({"token_env": "HOTWASH_SECRET_KEY"}, "token_env", "Hotwash's own secret key"),
        ({"token_env": "DATABASE_URL"}, "token_env", "must start with HOTWASH_SECRET_"),
        ({"token_env": "HOTWASH_SMTP_URL"}, "token_env", "must start with HOTWASH_SECRET_"),
        ({"token_env": "HOTWASH_SECRET_"}, "token_env", "must start with HOTWASH_SECRET_"),
        ({"webhook_secret_env": "HOME"}, "webhook_secret_env", "must start with HOTWASH_SECRET_"),
        ({"token_env": "", "token_file": "secrets/github"}, "token_file", "absolute path"),
        (
            {"token_env": "", "token_file": "/run/secrets/../../etc/passwd"},
            "token_file",
            "absolute path",
        ),
        ({"token_env": "", "token_file": "/etc/passwd"}, "token_file", "one of these folders"),
        (
            {"webhook_secret_env": "HOTWASH_SECRET_A", "webhook_secret_file": "/run/secrets/x"},
            "webhook_secret_file",
            "not both",
        ),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(
    team: Team, fields: dict[str, Any], field: str, message: str
) -> None:
    errors = errors_of(tracker(team, **fields))
    assert field in errors, errors
    assert message in " ".join(errors[field])


def test_production_refuses_plain_http(team: Team, settings: Settings) -> None:
    config = tracker(team, base_url="http://github.internal")
    config.full_clean()
    settings.PRODUCTION = True
    assert "base_url" in errors_of(tracker(team, base_url="http://github.internal"))


def test_secrets_come_from_the_environment_or_a_file(
    team: Team, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Settings
) -> None:
    monkeypatch.setenv("HOTWASH_SECRET_GITHUB_PAYMENTS", "  tok-from-env \n")
    assert api_token(tracker(team)) == "tok-from-env"
    settings.TRACKER_SECRET_DIRS = [str(tmp_path)]
    path = tmp_path / "hook"
    path.write_text("file-secret\n")
    config = tracker(team, webhook_secret_file=str(path))
    config.full_clean()
    assert webhook_secret(config) == "file-secret"
    assert webhook_secret(tracker(team)) is None  # none configured

    with pytest.raises(CredentialMissing, match="is empty"):
        path.write_text("\n")
        read_secret("", str(path))
    with pytest.raises(CredentialMissing, match="cannot be read"):
        read_secret("", str(tmp_path / "absent"))
    with pytest.raises(CredentialMissing, match="larger than"):
        path.write_bytes(b"x" * 20_000)
        read_secret("", str(path))
    monkeypatch.delenv("HOTWASH_SECRET_GITHUB_PAYMENTS")
    with pytest.raises(CredentialMissing, match="HOTWASH_SECRET_GITHUB_PAYMENTS is not set"):
        api_token(tracker(team))


def test_the_admin_sets_up_a_tracker_and_sees_where_its_secrets_come_from(
    team: Team, admin_user: User, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    settings.SITE_URL = "https://hotwash.example"
    monkeypatch.setenv("HOTWASH_SECRET_GITHUB_PAYMENTS", "very-secret-token-value")
    client = Client()
    client.force_login(admin_user)
    assert client.get("/en/admin/trackers/trackerconfig/add/").status_code == 200

    form = {
        "team": team.pk,
        "kind": "github",
        "base_url": "",
        "project": "acme/payments",
        "issue_type": "",
        "labels": "",
        "language": "en",
        "auth_method": "token",
        "username": "",
        "token_env": "HOTWASH_SECRET_GITHUB_PAYMENTS",
        "token_file": "",
        "webhook_secret_env": "HOTWASH_SECRET_GITHUB_WEBHOOK_PAYMENTS",
        "webhook_secret_file": "",
        # The inline of people's accounts in the tracker (none yet).
        "accounts-TOTAL_FORMS": "0",
        "accounts-INITIAL_FORMS": "0",
    }
    refused = client.post("/en/admin/trackers/trackerconfig/add/", {**form, "project": "payments"})
    assert refused.status_code == 200
    assert "owner/repository" in refused.content.decode()
    assert not TrackerConfig.objects.exists()

    created = client.post("/en/admin/trackers/trackerconfig/add/", form)
    assert created.status_code == 302
    config = TrackerConfig.objects.get()
    page = client.get(f"/en/admin/trackers/trackerconfig/{config.pk}/change/").content.decode()
    assert f"https://hotwash.example/api/v1/trackers/{config.pk}/webhook" in page
    assert "available in this process ($HOTWASH_SECRET_GITHUB_PAYMENTS)" in page
    assert "environment variable HOTWASH_SECRET_GITHUB_WEBHOOK_PAYMENTS is not set" in page
    assert "very-secret-token-value" not in page


def test_the_admin_says_who_each_person_is_in_the_tracker(
    admin_user: User, responder: User, team: Team
) -> None:
    config = tracker(team)
    config.save()
    client = Client()
    client.force_login(admin_user)
    url = f"/en/admin/trackers/trackerconfig/{config.pk}/change/"
    form = {
        field: getattr(config, field)
        for field in ("kind", "base_url", "project", "issue_type", "labels", "language")
    }
    form.update(
        team=team.pk,
        auth_method=config.auth_method,
        username="",
        token_env=config.token_env,
        token_file="",
        webhook_secret_env="",
        webhook_secret_file="",
        **{
            "accounts-TOTAL_FORMS": "1",
            "accounts-INITIAL_FORMS": "0",
            "accounts-0-user": str(responder.pk),
            "accounts-0-account": "not a login",
        },
    )
    refused = client.post(url, form)
    assert refused.status_code == 200
    assert "GitHub login" in refused.content.decode()
    assert client.post(url, {**form, "accounts-0-account": "octocat"}).status_code == 302
    assert config.accounts.get().account == "octocat"


def test_the_failed_sync_view_is_for_admins_only(viewer: User, responder: User) -> None:
    for user in (viewer, responder):
        client = Client()
        client.force_login(user)
        response = client.get("/en/admin/trackers/trackerlink/?problem=failed")
        assert response.status_code == 302  # to the admin login


def test_the_secret_folders_come_from_the_setting(
    team: Team, settings: Settings, tmp_path: Path
) -> None:
    # HOTWASH_TRACKER_SECRET_DIRS="<tmp_path>, /srv/keys" (tests/test_settings.py)
    settings.TRACKER_SECRET_DIRS = [str(tmp_path), "/srv/keys"]
    tracker(team, token_env="", token_file=str(tmp_path / "github")).full_clean()
    tracker(team, token_env="", token_file="/srv/keys/github").full_clean()
    errors = errors_of(tracker(team, token_env="", token_file="/run/secrets/github"))
    assert str(tmp_path) in errors["token_file"][0]


def test_a_stored_variable_name_outside_hotwash_secret_is_never_read(
    team: Team, monkeypatch: pytest.MonkeyPatch, admin_user: User
) -> None:
    """A row saved before the rule (or written around the admin) that names,
    say, the SMTP URL: the token is refused at use, and the admin says why."""
    monkeypatch.setenv("HOTWASH_SMTP_URL", "smtp+tls://bot:smtp-password@smtp.example.org:587")
    config = tracker(team, token_env="HOTWASH_SMTP_URL", webhook_secret_env="HOTWASH_SMTP_URL")
    config.save()
    with pytest.raises(CredentialMissing, match="HOTWASH_SECRET_") as refused:
        api_token(config)
    assert "smtp-password" not in str(refused.value)
    with pytest.raises(CredentialMissing, match="HOTWASH_SECRET_"):
        webhook_secret(config)

    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/en/admin/trackers/trackerconfig/{config.pk}/change/").content.decode()
    assert "HOTWASH_SECRET_" in page
    assert "smtp-password" not in page


def test_the_admin_refuses_a_variable_outside_hotwash_secret(team: Team, admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    refused = client.post(
        "/en/admin/trackers/trackerconfig/add/",
        {
            "team": team.pk,
            "kind": "github",
            "project": "acme/payments",
            "language": "en",
            "auth_method": "token",
            "token_env": "HOTWASH_SMTP_URL",
        },
    )
    assert refused.status_code == 200
    assert "must start with HOTWASH_SECRET_" in refused.content.decode()
    assert not TrackerConfig.objects.exists()


def test_a_check_flags_stored_rows_naming_a_disallowed_variable(team: Team) -> None:
    from django.core.checks import run_checks

    tracker(team, token_env="HOTWASH_SMTP_URL").save()
    other = Team.objects.create(name="Platform", slug="platform")
    tracker(other).save()
    found = [
        message for message in run_checks(databases=["default"]) if message.id == "trackers.W001"
    ]
    assert len(found) == 1
    assert "HOTWASH_SMTP_URL" in found[0].msg and "Payments" in found[0].msg
    assert TrackerConfig.objects.count() == 2  # flagged, not deleted
