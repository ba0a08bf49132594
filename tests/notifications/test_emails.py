"""Reminder emails through a real SMTP server on loopback: what they say, in
the recipient's language, with links that work; and what happens when the
SMTP server fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from hotwash.accounts.services import create_user
from hotwash.actions.services import update_action_item
from hotwash.notifications.models import DeliveryStatus, Kind, SentNotification
from hotwash.notifications.preferences import update_notification_preferences
from hotwash.notifications.reminders import scan_digests, scan_reminders
from hotwash.postmortems.models import Postmortem
from tests.support.notifications import (
    SmtpSink,
    bodies,
    drain_sends,
    make_item,
    smtp_sink,
    use_smtp,
)
from tests.support.servers import free_port

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a Thursday
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def smtp(settings: Settings) -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        use_smtp(settings, sink.port)
        settings.DEFAULT_FROM_EMAIL = "Hotwash <hotwash@example.org>"
        yield sink


def drain() -> int:
    """Run the queued tasks; how many sent something (routing is not counted)."""
    return drain_sends()


@pytest.fixture
def lea(db: None) -> User:
    return create_user(
        "lea",
        email="lea@example.org",
        first_name="Léa",
        language="fr",
        timezone_name="Europe/Paris",
    )


def test_the_reminder_is_in_english_with_an_absolute_link(smtp: SmtpSink, amira: User) -> None:
    item = make_item(amira, due_on=TODAY + timedelta(days=2))
    scan_reminders(NOW)
    assert drain() == 1
    [message] = smtp.messages
    assert (
        message["Subject"] == f"{item.ref} is due on Saturday 28 November 2026: Add a canary stage"
    )
    assert message["To"] == "amira@example.org"
    assert message["From"] == "Hotwash <hotwash@example.org>"
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = bodies(message)
    link = f"{settings.SITE_URL}/en/action-items/{item.pk}/"
    assert "Hello Amira," in text
    assert f"Your action item {item.ref} is due in 2 days, on Saturday 28 November 2026." in text
    assert link in text
    assert f'href="{link}"' in html
    assert '<html lang="en">' in html
    assert f"{settings.SITE_URL}/en/notifications/" in text
    assert SentNotification.objects.get().status == DeliveryStatus.SENT


def test_the_reminder_is_in_french_for_a_french_reader(smtp: SmtpSink, lea: User) -> None:
    item = make_item(lea, due_on=TODAY + timedelta(days=1))
    scan_reminders(NOW)
    drain()
    [message] = smtp.messages
    # Django folds a long non-ASCII subject onto a continuation line.
    assert (
        message["Subject"].strip()
        == f"{item.ref} est à rendre le vendredi 27 novembre 2026 : Add a canary stage"
    )
    text, html = bodies(message)
    assert "Bonjour Léa," in text
    assert f"Votre action {item.ref} est à rendre demain, vendredi 27 novembre 2026." in text
    assert f"{settings.SITE_URL}/fr/action-items/{item.pk}/" in text
    assert '<html lang="fr">' in html
    assert "préférences de notification" in html


def test_the_overdue_notice_cannot_be_muted(smtp: SmtpSink, lea: User) -> None:
    update_notification_preferences(lea, digests_muted=True, reminders_muted=True)
    make_item(lea, due_on=TODAY + timedelta(days=1), title="Muted reminder")
    late = make_item(lea, due_on=TODAY - timedelta(days=3), title="Rotate the keys")
    scan_reminders(NOW)
    drain()
    [message] = smtp.messages
    assert message["Subject"].strip() == f"{late.ref} est en retard : Rotate the keys"
    text, _html = bodies(message)
    assert "il y a 3 jours" in text
    assert "Les avis de retard sont toujours envoyés" in text


def test_the_postmortem_owner_is_reminded(smtp: SmtpSink, amira: User) -> None:
    item = make_item(amira, due_on=TODAY + timedelta(days=20))
    postmortem = Postmortem.objects.create(
        incident=item.incident,
        kind="incident",
        template="standard",
        title="Checkout outage",
        owner=amira,
        due_on=TODAY,
        created_at=NOW,
        updated_at=NOW,
    )
    scan_reminders(NOW)
    drain()
    [message] = smtp.messages
    assert message["Subject"] == (
        f"Postmortem {postmortem.ref} is due on Thursday 26 November 2026: Checkout outage"
    )
    text, _html = bodies(message)
    assert f"The postmortem {postmortem.ref} you own is due today." in text
    assert f"{settings.SITE_URL}/en/postmortems/{postmortem.pk}/" in text


def test_a_reminder_no_longer_due_when_it_is_sent_is_dropped(smtp: SmtpSink, amira: User) -> None:
    item = make_item(amira, due_on=TODAY + timedelta(days=1))
    scan_reminders(NOW)
    update_action_item(item, actor=amira, changes={"status": "done"})
    drain()
    assert smtp.messages == []
    row = SentNotification.objects.get()
    assert row.status == DeliveryStatus.SKIPPED
    assert row.last_error == "No longer due (done, or a new due date)."


def test_a_digest_with_nothing_left_to_report_is_dropped_and_says_so(
    smtp: SmtpSink, amira: User, settings: Settings
) -> None:
    settings.DIGEST_WEEKDAY, settings.DIGEST_HOUR = 4, 7  # Thursday, 07:00
    item = make_item(amira, due_on=TODAY + timedelta(days=9))
    scan_digests(NOW)
    update_action_item(item, actor=amira, changes={"status": "done"})
    drain()
    assert smtp.messages == []
    row = SentNotification.objects.get(kind=Kind.DIGEST)
    assert row.status == DeliveryStatus.SKIPPED
    assert row.last_error == "Nothing left to report: no open work the recipient can see."


def test_the_digest_lists_open_and_overdue_work_and_respects_muting(
    smtp: SmtpSink, amira: User, lea: User, settings: Settings
) -> None:
    settings.DIGEST_WEEKDAY, settings.DIGEST_HOUR = 4, 7  # Thursday, 07:00
    late = make_item(amira, due_on=TODAY - timedelta(days=40), title="Write the runbook")
    later = make_item(amira, due_on=TODAY + timedelta(days=9), title="Add a canary stage")
    make_item(lea, due_on=TODAY + timedelta(days=9))
    update_notification_preferences(lea, digests_muted=True, reminders_muted=False)
    scan_digests(NOW)
    drain()
    [message] = smtp.messages
    assert message["To"] == "amira@example.org"
    assert message["Subject"] == "Your Hotwash week of 23 November: 2 open, 1 overdue"
    text, html = bodies(message)
    assert "Your 2 open action items (1 overdue):" in text
    assert f"{late.ref} Write the runbook" in text
    assert "OVERDUE since Saturday 17 October 2026" in text
    assert f"{settings.SITE_URL}/en/action-items/{later.pk}/" in html
    assert SentNotification.objects.get().kind == Kind.DIGEST


def _published(actor: User, title: str, *, private: bool = False) -> Postmortem:
    from hotwash.incidents.services import declare_incident
    from hotwash.postmortems import services
    from hotwash.postmortems.models import Kind as PostmortemKind

    incident = declare_incident(actor=actor, title=title, severity=3, private=private)
    postmortem = services.create_retrospective(
        actor=actor, title="", kind=PostmortemKind.INCIDENT, incident=incident
    )
    services.set_reviewers(postmortem, actor=actor, usernames=[actor.username])
    for key in services.CHECKLIST_KEYS:
        services.set_checklist_item(postmortem, actor=actor, key=key, checked=True)
    for action in ("request_review", "approve", "publish"):
        postmortem = services.transition(postmortem, actor=actor, action=action)
    return postmortem


def test_the_digest_lists_what_was_published_this_week_that_its_reader_may_read(
    smtp: SmtpSink, amira: User, lea: User, settings: Settings
) -> None:
    """Léa has no open work: the week's lessons are reason enough to write."""
    settings.DIGEST_WEEKDAY, settings.DIGEST_HOUR = 4, 7  # Thursday, 07:00
    shared = _published(amira, "Checkout latency above SLO")
    _published(amira, "Payroll export left on a partner share", private=True)
    scan_digests(NOW)
    drain()
    assert sorted(m["To"] for m in smtp.messages) == ["amira@example.org", "lea@example.org"]
    # The author of the private one reads both.
    [to_amira] = smtp.to("amira@example.org")
    assert "Payroll" in bodies(to_amira)[0]
    [to_lea] = smtp.to("lea@example.org")
    text, html = bodies(to_lea)
    assert "Publiés cette semaine" in text
    assert f"{shared.ref} {shared.title}" in text
    assert f"{settings.SITE_URL}/fr/postmortems/learned/" in html
    assert "Payroll" not in text and "Payroll" not in html


def test_a_week_of_private_lessons_alone_writes_to_nobody_who_cannot_read_them(
    smtp: SmtpSink, amira: User, lea: User, settings: Settings
) -> None:
    settings.DIGEST_WEEKDAY, settings.DIGEST_HOUR = 4, 7  # Thursday, 07:00
    make_item(amira, due_on=TODAY + timedelta(days=9))
    _published(amira, "Payroll export left on a partner share", private=True)
    scan_digests(NOW)
    drain()
    assert [m["To"] for m in smtp.messages] == ["amira@example.org"]
    assert not SentNotification.objects.filter(recipient=lea).exists()


def test_reviewers_are_told_how_many_reports_wait_and_nobody_else(
    smtp: SmtpSink, amira: User, lea: User, admin_user: User, settings: Settings
) -> None:
    from hotwash.reports.services import file_report, grant_review

    settings.DIGEST_WEEKDAY, settings.DIGEST_HOUR = 4, 7  # Thursday, 07:00
    grant_review(person=lea, actor=admin_user)
    make_item(amira, due_on=TODAY + timedelta(days=9))
    file_report(
        author=amira, kind="near-miss", text="The backup nearly ran on prod.", anonymous=True
    )
    file_report(author=amira, kind="concern", text="On-call weeks are too long.", anonymous=False)
    scan_digests(NOW)
    drain()
    [to_lea] = smtp.to("lea@example.org")
    text, html = bodies(to_lea)
    assert "2 quasi-incidents ou préoccupations attendent la décision" in text
    assert f"{settings.SITE_URL}/fr/reports/?status=open" in html
    # Amira filed them and has work, but reviews nothing: no count for her.
    [to_amira] = smtp.to("amira@example.org")
    amira_text, amira_html = bodies(to_amira)
    assert "near miss" not in amira_text and "reports wait" not in amira_html


def test_a_failing_smtp_server_means_retries_with_backoff_visible_in_the_admin(
    smtp: SmtpSink, amira: User, admin_user: User, _clock: time_machine.Traveller
) -> None:
    smtp.refuse = True
    make_item(amira, due_on=TODAY + timedelta(days=1))
    scan_reminders(NOW)
    assert drain() == 1
    assert smtp.refused == 1
    row = SentNotification.objects.get()
    assert row.status == DeliveryStatus.RETRYING
    assert row.attempts == 1
    assert "451" in row.last_error
    failed = DBTaskResult.objects.get(status="FAILED")
    assert "SMTPDataError" in failed.traceback
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"] == {"attempt": 2}
    assert row.next_attempt_at is not None
    assert retry.run_after == row.next_attempt_at
    assert timedelta(seconds=59) < retry.run_after - NOW < timedelta(seconds=70)
    assert drain() == 0  # not before its time

    # An administrator sees both the notification and the failed task.
    from django.test import Client

    client = Client()
    client.force_login(admin_user)
    page = client.get("/en/admin/notifications/sentnotification/?status__exact=retrying")
    assert page.status_code == 200
    assert "451" in page.content.decode()
    tasks = client.get("/en/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert "deliver_notification" in tasks.content.decode()

    smtp.refuse = False
    _clock.shift(timedelta(minutes=2))
    assert drain() == 1
    assert len(smtp.messages) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 2, "")


def test_it_gives_up_after_the_last_attempt(
    amira: User, settings: Settings, _clock: time_machine.Traveller
) -> None:
    use_smtp(settings, free_port())  # nobody listens
    settings.TASK_MAX_ATTEMPTS = 2
    settings.TASK_RETRY_SECONDS = 10.0
    make_item(amira, due_on=TODAY)
    scan_reminders(NOW)
    drain()
    assert SentNotification.objects.get().status == DeliveryStatus.RETRYING
    _clock.shift(timedelta(seconds=11))
    drain()
    row = SentNotification.objects.get()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 2)
    assert "ConnectionRefusedError" in row.last_error
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert DBTaskResult.objects.filter(status="FAILED").count() == 2


def test_djangos_own_mail_goes_to_the_same_server(smtp: SmtpSink) -> None:
    """Mail Django sends itself (send_mail, mail_admins) uses the EMAIL_*
    settings Hotwash's notifications use, not localhost:25."""
    send_mail("A message from Django", "Sent by django.core.mail.", None, ["amira@example.org"])
    [message] = smtp.messages
    assert message["From"] == "Hotwash <hotwash@example.org>"
    assert message["To"] == "amira@example.org"


def test_a_person_without_an_email_address_is_skipped(smtp: SmtpSink) -> None:
    nobody = create_user("noemail")
    make_item(nobody, due_on=TODAY)
    scan_reminders(NOW)
    drain()
    assert smtp.messages == []
    assert SentNotification.objects.get().status == DeliveryStatus.SKIPPED
