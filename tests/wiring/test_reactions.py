"""Side effects are explicit: every signal connection is made, and listed
with what it does, in hotwash.wiring.reactions."""

from __future__ import annotations

import re
from pathlib import Path

import hotwash
from hotwash.wiring import reactions

PACKAGE = Path(hotwash.__file__).parent
# A signal's connect or Django's @receiver (the live bus's psycopg.connect opens a
# database connection).
CONNECTING = re.compile(r"(?<!psycopg)(?<!sqlite3)\.connect\(|@receiver\b")


def test_every_connection_is_made() -> None:
    for connection in reactions.CONNECTIONS:
        receivers = connection.signal._live_receivers(connection.sender)
        assert connection.receiver in [*receivers[0], *receivers[1]], connection.dispatch_uid


def test_every_receiver_is_in_the_table() -> None:
    table = reactions.__doc__ or ""
    for connection in reactions.CONNECTIONS:
        assert connection.receiver.__name__ in table, connection.receiver.__name__


def test_no_other_module_connects_a_signal() -> None:
    connecting = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if CONNECTING.search(path.read_text(encoding="utf-8"))
    ]
    assert sorted(connecting) == ["wiring/apps.py", "wiring/reactions.py"]
