"""Measure how fast the right people hear of a SEV1 (issue 12's targets:
the last of 1,000 followers' mails handed to an SMTP server in under 10 s,
and the pager call received in under 2 s, with one worker).

    python bench/notify.py                          # 1,000 followers, SQLite and PostgreSQL
    python bench/notify.py --followers 200 --databases sqlite

For each database: a throwaway database (bench/core.py), filled in a child
process with --followers people (half of them reading French) who follow
the service "shop", and a notification rule that pages PagerDuty on a SEV1
declared for it. This process runs a real SMTP server on loopback (aiosmtpd)
and the PagerDuty Events API v2 stand-in the tests use
(tests/integrations/pagerduty/standin.py); one `hotwash worker` runs the
queued tasks. A second child declares the SEV1 incident through the service
function and prints the time its transaction committed; the figures are
from that instant to the pager event's arrival at the stand-in and to the
last mail's arrival at the SMTP server.

It prints figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import REPO_DIR

MAIL_TARGET_SECONDS = 10.0
PAGER_TARGET_SECONDS = 2.0
RESULT_PREFIX = "RESULT "
ROUTING_KEY = "b" * 32  # PagerDuty's integration keys are 32 characters
KEY_VARIABLE = "HOTWASH_SECRET_PAGERDUTY_BENCH"
RULES = f"""
rules:
  - name: page-shop-on-sev1
    when: {{events: [incident.declared, incident.resolved], severities: [1], services: [shop]}}
    send:
      - pagerduty: {{routing_key_env: {KEY_VARIABLE}}}
"""


# --- the children: fill the database; declare the incident --------------------------------


def fill(followers: int) -> None:
    from _common import setup_django

    setup_django()
    from django.contrib.auth.models import User
    from django.utils import timezone

    from hotwash.accounts.models import Profile, Role
    from hotwash.accounts.services import create_user
    from hotwash.incidents.models import Service
    from hotwash.notifications.models import Follow

    create_user("commander", password="bench-password-42", role=Role.RESPONDER)
    shop = Service.objects.create(name="shop")
    now = timezone.now()
    users = User.objects.bulk_create(
        User(username=f"follower{n}", email=f"follower{n}@example.org", password="!")
        for n in range(followers)
    )
    Profile.objects.bulk_create(
        Profile(user=user, language="fr" if n % 2 else "en") for n, user in enumerate(users)
    )
    Follow.objects.bulk_create(Follow(user=user, service=shop, created_at=now) for user in users)


def declare() -> None:
    from _common import setup_django

    setup_django()
    from django.contrib.auth.models import User

    from hotwash.incidents.services import declare_incident

    commander = User.objects.get(username="commander")
    incident = declare_incident(
        actor=commander, title="Checkout fails for every customer", severity=1, services=["shop"]
    )
    # declare_incident's transaction has committed when it returns.
    print(RESULT_PREFIX + json.dumps({"committed": time.time(), "ref": incident.ref}), flush=True)


# --- the parent: SMTP server, pager stand-in, worker --------------------------------------


class MailCounter:
    """An aiosmtpd handler that notes when each message arrived."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.arrivals.extend(time.time() for _ in envelope.rcpt_tos)
        return "250 OK"


def bench_one(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    from aiosmtpd.controller import Controller

    from core import free_port, run, start, stop, throwaway_database

    sys.path.insert(0, str(REPO_DIR))
    from tests.integrations.pagerduty.standin import PagerDutyStandIn

    print(f"{kind}: {args.followers:,} followers …", file=sys.stderr, flush=True)
    mails = MailCounter()
    smtp_port = free_port()
    controller = Controller(mails, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    pager = PagerDutyStandIn().start()
    pager_arrival: list[float] = []
    try:
        with (
            throwaway_database(kind, args.pg_url) as database,
            tempfile.TemporaryDirectory(prefix="hotwash-bench-notify-") as tmp,
        ):
            rules = Path(tmp) / "rules.yaml"
            rules.write_text(RULES)
            env = {
                **database.env,
                "HOTWASH_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                "HOTWASH_PAGERDUTY_EVENTS_URL": pager.events_url,
                "HOTWASH_NOTIFICATION_POLICY_FILE": str(rules),
                KEY_VARIABLE: ROUTING_KEY,
            }
            run([sys.executable, __file__, "--fill", str(args.followers)], env, timeout=600)
            worker = start(
                [sys.executable, "-m", "hotwash", "worker", "--no-periodic", "--interval", "0.05"],
                env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(2)  # let the worker start before the clock runs
                output = run([sys.executable, __file__, "--declare"], env, timeout=120)
                committed = _result(output)["committed"]
                deadline = time.time() + args.timeout
                while time.time() < deadline:
                    if pager.events and not pager_arrival:
                        pager_arrival.append(time.time())
                    if len(mails.arrivals) >= args.followers and pager_arrival:
                        break
                    time.sleep(0.01)
            finally:
                stop(worker)
    finally:
        pager.stop()
        controller.stop()
    received = len(mails.arrivals)
    return {
        "database": kind,
        "followers": args.followers,
        "mails": received,
        "mail_seconds": (max(mails.arrivals) - committed) if received else None,
        "pager_seconds": (pager_arrival[0] - committed) if pager_arrival else None,
    }


def _result(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith(RESULT_PREFIX):
            return dict(json.loads(line[len(RESULT_PREFIX) :]))
    raise RuntimeError(f"The child printed no result:\n{output}")


def report(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| database | followers | mails received | last mail | target | pager | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        mail = r["mail_seconds"]
        page = r["pager_seconds"]
        mail_ok = mail is not None and r["mails"] >= r["followers"] and mail < MAIL_TARGET_SECONDS
        page_ok = page is not None and page < PAGER_TARGET_SECONDS
        lines.append(
            f"| {r['database']} | {r['followers']:,} | {r['mails']:,} "
            f"| {_seconds(mail)} | < {MAIL_TARGET_SECONDS:g} s: {'ok' if mail_ok else 'MISSED'} "
            f"| {_seconds(page)} | < {PAGER_TARGET_SECONDS:g} s: {'ok' if page_ok else 'MISSED'} |"
        )
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for every mail"
    )
    parser.add_argument("--fill", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--declare", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.fill is not None:
        fill(args.fill)
        return 0
    if args.declare:
        declare()
        return 0
    runs = [bench_one(kind.strip(), args) for kind in args.databases.split(",") if kind.strip()]
    print(report(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
