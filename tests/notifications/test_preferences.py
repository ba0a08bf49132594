"""The notification preferences page, and the notification settings."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import Settings

from hotwash.core.models import AuditRecord
from hotwash.envconfig import (
    ConfigurationError,
    SmtpServer,
    env_hour,
    env_smtp_url,
    env_weekday,
)
from hotwash.notifications.conf import schedule
from hotwash.notifications.models import NotificationPreference


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_page_offers_both_switches_in_both_languages(
    responder_client: Client, language: str
) -> None:
    response = responder_client.get(f"/{language}/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="digests_muted"' in html
    assert 'name="reminders_muted"' in html
    assert "overdue" not in html.split("<form", 1)[1].split("</form>")[0].lower()  # no such box


@pytest.mark.django_db
def test_a_person_mutes_the_digest_and_it_is_audited(
    responder_client: Client, responder: User
) -> None:
    response = responder_client.post("/en/notifications/", {"digests_muted": "on"})
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=responder)
    assert (preference.digests_muted, preference.reminders_muted) == (True, False)
    record = AuditRecord.objects.get(action="notifications.preferences_changed")
    # The follow boxes were left empty too: no mail for what they follow.
    assert record.changes["after"] == {
        "digests_muted": True,
        "reminders_muted": False,
        "followed_events": [],
    }
    page = responder_client.get("/en/notifications/").content.decode()
    assert "Notification preferences saved." in page
    assert 'id="notify_digests_muted" checked' in page

    responder_client.post("/en/notifications/", {"digests_muted": "on"})  # no change
    assert AuditRecord.objects.filter(action="notifications.preferences_changed").count() == 1


def test_a_visitor_must_sign_in(db: None) -> None:
    response = Client().get("/en/notifications/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_smtp_settings_come_from_one_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """HOTWASH_SMTP_URL as settings.py reads it; tests/test_settings.py checks
    that it, or the separate HOTWASH_EMAIL_* variables, become EMAIL_*."""
    monkeypatch.delenv("HOTWASH_SMTP_URL", raising=False)
    assert env_smtp_url("HOTWASH_SMTP_URL") is None

    monkeypatch.setenv(
        "HOTWASH_SMTP_URL", "smtp+tls://hotwash%40example.org:p%40ss@mail.example.org"
    )
    conf = env_smtp_url("HOTWASH_SMTP_URL")
    assert conf is not None
    assert (conf.host, conf.port, conf.use_tls, conf.use_ssl) == (
        "mail.example.org",
        587,
        True,
        False,
    )
    assert (conf.username, conf.password) == ("hotwash@example.org", "p@ss")
    monkeypatch.setenv("HOTWASH_SMTP_URL", "smtps://mail.example.org")
    assert env_smtp_url("HOTWASH_SMTP_URL") == SmtpServer("mail.example.org", 465, use_ssl=True)
    monkeypatch.setenv("HOTWASH_SMTP_URL", "http://mail.example.org")
    with pytest.raises(ConfigurationError, match="HOTWASH_SMTP_URL"):
        env_smtp_url("HOTWASH_SMTP_URL")
    monkeypatch.setenv("HOTWASH_SMTP_URL", "smtp://mail.example.org:port")
    with pytest.raises(ConfigurationError, match="HOTWASH_SMTP_URL has a port"):
        env_smtp_url("HOTWASH_SMTP_URL")


def test_the_schedule_is_configurable_and_checked(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    assert schedule().digest_weekday == 1
    settings.DIGEST_WEEKDAY, settings.DIGEST_HOUR = 5, 17
    settings.REMINDER_DAYS_BEFORE, settings.OVERDUE_NOTICE_DAYS = 5, 2
    conf = schedule()
    assert (conf.digest_weekday, conf.digest_hour, conf.days_before, conf.overdue_days) == (
        5,
        17,
        5,
        2,
    )
    # How settings.py reads the day and the hour.
    monkeypatch.setenv("HOTWASH_DIGEST_WEEKDAY", "Fri")
    assert env_weekday("HOTWASH_DIGEST_WEEKDAY", "monday") == 5
    monkeypatch.setenv("HOTWASH_DIGEST_WEEKDAY", "someday")
    with pytest.raises(ConfigurationError, match="HOTWASH_DIGEST_WEEKDAY"):
        env_weekday("HOTWASH_DIGEST_WEEKDAY", "monday")
    monkeypatch.setenv("HOTWASH_DIGEST_HOUR", "17")
    assert env_hour("HOTWASH_DIGEST_HOUR", 8) == 17
    monkeypatch.setenv("HOTWASH_DIGEST_HOUR", "24")
    with pytest.raises(ConfigurationError, match="HOTWASH_DIGEST_HOUR"):
        env_hour("HOTWASH_DIGEST_HOUR", 8)
