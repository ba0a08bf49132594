"""Two real `hotwash worker` processes on one database, a real SMTP server
on loopback: every reminder arrives exactly once."""

from __future__ import annotations

import subprocess
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.notifications import running_workers, smtp_sink, wait_until
from tests.support.servers import HOTWASH, server_database

pytestmark = pytest.mark.server

# amira (English): due in 1 and 3 days, 2 days late, due in 10 days (too
# early), a postmortem due in 2 days; lea (French, mutes reminders): due
# tomorrow (muted), 1 day late (never muted). Plus one weekly digest each:
# with the digest set for Monday 00:00, it is due whatever day the test runs.
SETUP = """
from datetime import timedelta
from django.utils import timezone
from hotwash.accounts.services import create_user
from hotwash.actions.models import ActionItem
from hotwash.actions.services import create_action_item
from hotwash.incidents.services import declare_incident
from hotwash.notifications.preferences import update_notification_preferences
from hotwash.postmortems.models import Postmortem

today = timezone.now().date()
amira = create_user("amira", email="amira@example.org")
lea = create_user("lea", email="lea@example.org", language="fr")
update_notification_preferences(lea, digests_muted=False, reminders_muted=True)
incident = declare_incident(actor=amira, title="Checkout fails")
for owner, days in [(amira, 1), (amira, 3), (amira, -2), (amira, 10), (lea, 1), (lea, -1)]:
    item = create_action_item(actor=amira, title=f"Item {days}", owner=owner, incident=incident)
    ActionItem.objects.filter(pk=item.pk).update(due_on=today + timedelta(days=days))
now = timezone.now()
Postmortem.objects.create(incident=incident, kind="incident", template="standard",
    title="Checkout", owner=amira, due_on=today + timedelta(days=2), created_at=now,
    updated_at=now)
"""
EXPECTED = {"amira@example.org": 5, "lea@example.org": 2}
ENV = {
    "HOTWASH_NOTIFICATION_SCAN_SECONDS": "1",
    "HOTWASH_WORKER_INTERVAL": "0.05",
    "HOTWASH_DIGEST_WEEKDAY": "monday",
    "HOTWASH_DIGEST_HOUR": "0",
}


def recipients(messages: list[EmailMessage]) -> Counter[str]:
    return Counter(str(m["To"]) for m in messages)


def test_two_workers_never_send_the_same_reminder_twice(tmp_path: Path) -> None:
    with smtp_sink() as smtp, server_database(tmp_path) as database:
        database.run("shell", "-c", SETUP)
        env = {**ENV, "HOTWASH_SMTP_URL": smtp.url}
        with running_workers(database, 2, env=env) as workers:
            smtp.wait_for(sum(EXPECTED.values()), timeout=90)
            # Let both workers go through several more scans: none may resend.
            logs_before = sum(w.log.count("Running notifications.reminders") for w in workers)
            assert wait_until(
                lambda: (
                    sum(w.log.count("Running notifications.reminders") for w in workers)
                    >= logs_before + 6
                ),
                timeout=90,
            )
        assert recipients(smtp.messages) == EXPECTED, workers[0].log + workers[1].log
        subjects = Counter((str(m["To"]), str(m["Subject"]).strip()) for m in smtp.messages)
        assert max(subjects.values()) == 1
        assert any("en retard" in subject for to, subject in subjects if to.startswith("lea"))


def test_concurrent_scans_decide_each_reminder_once(tmp_path: Path) -> None:
    """Two scans racing outside the slot claim (as after a crash): the
    ledger's unique constraint alone keeps every reminder single."""
    with smtp_sink() as smtp, server_database(tmp_path) as database:
        database.run("shell", "-c", SETUP)
        scan = (
            "from django.utils import timezone;"
            "from hotwash.notifications.reminders import scan_reminders, scan_digests;"
            "[(scan_reminders(timezone.now()), scan_digests(timezone.now())) for _ in range(30)]"
        )
        env = {**database.env, **ENV}
        scanners = [
            subprocess.Popen([*HOTWASH, "shell", "-c", scan], env=env, text=True) for _ in range(2)
        ]
        for scanner in scanners:
            assert scanner.wait(timeout=120) == 0
        database.env.update({**ENV, "HOTWASH_SMTP_URL": smtp.url})
        database.run("worker", "--once", "--no-periodic")
        assert recipients(smtp.messages) == EXPECTED
