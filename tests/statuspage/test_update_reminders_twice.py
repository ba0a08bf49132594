"""Two scans of the update reminders racing in two processes on one real
database (as after a crash, outside the periodic job's slot claim): the
ledger's unique constraint alone keeps the reminder single, and one mail
reaches a real SMTP server on loopback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.notifications import smtp_sink
from tests.support.servers import HOTWASH, server_database

pytestmark = pytest.mark.server

# A SEV1 incident declared 45 minutes ago, with a communications lead and
# no update: due one reminder (SEV1 asks for one every 30 minutes).
SETUP = """
from datetime import timedelta
from django.utils import timezone
from hotwash.accounts.services import create_user
from hotwash.incidents.services import assign_role, declare_incident

amira = create_user("amira", email="amira@example.org", role="responder")
lea = create_user("lea", email="lea@example.org", language="fr")
earlier = timezone.now() - timedelta(minutes=45)
incident = declare_incident(actor=amira, title="Payments down", severity=1, now=earlier)
assign_role(incident, actor=amira, role="communications", user=lea, now=earlier)
"""
SCAN = (
    "from django.utils import timezone;"
    "from hotwash.statuspage.update_reminders import scan_update_reminders;"
    "[scan_update_reminders(timezone.now()) for _ in range(30)]"
)
COUNT = (
    "from hotwash.statuspage.models import UpdateReminder;"
    "print(UpdateReminder.objects.count(), UpdateReminder.objects.get().status)"
)


def test_concurrent_scans_decide_the_reminder_once(tmp_path: Path) -> None:
    with smtp_sink() as smtp, server_database(tmp_path) as database:
        database.run("shell", "-c", SETUP)
        scanners = [
            subprocess.Popen([*HOTWASH, "shell", "-c", SCAN], env=database.env, text=True)
            for _ in range(2)
        ]
        for scanner in scanners:
            assert scanner.wait(timeout=120) == 0
        database.env.update({"HOTWASH_SMTP_URL": smtp.url})
        database.run("worker", "--once", "--no-periodic")
        assert [str(m["To"]) for m in smtp.messages] == ["lea@example.org"]
        assert "attend une mise à jour" in str(smtp.messages[0]["Subject"])
        assert database.run("shell", "-c", COUNT).strip().splitlines()[-1] == "1 sent"
