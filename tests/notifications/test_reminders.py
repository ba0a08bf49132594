"""The reminder and digest scans decide each message once, on time, for the
right person, and respect muting (except for overdue notices)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from hotwash.accounts.services import create_user
from hotwash.actions.models import ActionItem
from hotwash.actions.services import update_action_item
from hotwash.notifications.models import DeliveryStatus, Kind, SentNotification
from hotwash.notifications.preferences import update_notification_preferences
from hotwash.notifications.reminders import scan_digests, scan_reminders
from hotwash.postmortems.models import Postmortem
from tests.support.notifications import make_item

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a Thursday
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def owner(db: None) -> User:
    return create_user("amira", email="amira@example.org", first_name="Amira")


def kinds() -> list[tuple[str, int]]:
    return sorted(SentNotification.objects.values_list("kind", "object_id"))


def test_it_reminds_the_owner_before_the_due_date_once(owner: User) -> None:
    soon = make_item(owner, due_on=TODAY + timedelta(days=3))
    make_item(owner, due_on=TODAY + timedelta(days=4))  # outside the window
    result = scan_reminders(NOW)
    assert result.decided == 1
    assert kinds() == [(Kind.ACTION_DUE_SOON, soon.pk)]
    row = SentNotification.objects.get()
    assert (row.recipient_id, row.slot, row.status) == (owner.pk, soon.due_on, "pending")
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_notification").count() == 1

    assert scan_reminders(NOW + timedelta(minutes=5)).decided == 0
    assert SentNotification.objects.count() == 1


def test_it_sends_an_overdue_notice_once_per_due_date(owner: User) -> None:
    item = make_item(owner, due_on=TODAY - timedelta(days=1))
    make_item(owner, due_on=TODAY - timedelta(days=30))  # long overdue: the digest's job
    scan_reminders(NOW)
    assert kinds() == [(Kind.ACTION_OVERDUE, item.pk)]
    assert scan_reminders(NOW + timedelta(hours=1)).decided == 0

    # A new due date is a new promise: a new reminder when it nears.
    ActionItem.objects.filter(pk=item.pk).update(due_on=TODAY + timedelta(days=1))
    scan_reminders(NOW + timedelta(hours=2))
    assert kinds() == [(Kind.ACTION_DUE_SOON, item.pk), (Kind.ACTION_OVERDUE, item.pk)]


def test_done_items_and_items_without_owner_get_nothing(owner: User) -> None:
    item = make_item(owner, due_on=TODAY)
    update_action_item(item, actor=owner, changes={"status": "done"})
    make_item(owner, due_on=TODAY + timedelta(days=1), title="Unowned")
    ActionItem.objects.filter(title="Unowned").update(owner=None)
    assert scan_reminders(NOW).decided == 0


def test_the_day_is_the_owners_own(owner: User) -> None:
    # Thursday 12:00 UTC is already Friday 01:00 in Auckland (UTC+13 in
    # November): an item due on Thursday is overdue there, not here.
    kiwi = create_user("aroha", email="aroha@example.org", timezone_name="Pacific/Auckland")
    here = make_item(owner, due_on=TODAY, title="Due today here")
    there = make_item(kiwi, due_on=TODAY, title="Due yesterday there")
    scan_reminders(NOW + timedelta(hours=3))
    assert kinds() == sorted([(Kind.ACTION_DUE_SOON, here.pk), (Kind.ACTION_OVERDUE, there.pk)])


def test_muted_reminders_are_recorded_but_not_emailed_and_overdue_notices_still_go(
    owner: User,
) -> None:
    update_notification_preferences(owner, digests_muted=True, reminders_muted=True)
    soon = make_item(owner, due_on=TODAY + timedelta(days=1))
    late = make_item(owner, due_on=TODAY - timedelta(days=2))
    result = scan_reminders(NOW)
    assert result.decided == 2
    assert result.emails == 1
    rows = {row.kind: row for row in SentNotification.objects.all()}
    assert rows[Kind.ACTION_DUE_SOON].object_id == soon.pk
    assert rows[Kind.ACTION_DUE_SOON].status == DeliveryStatus.SKIPPED
    assert rows[Kind.ACTION_OVERDUE].object_id == late.pk
    assert rows[Kind.ACTION_OVERDUE].status == DeliveryStatus.PENDING


def test_postmortem_owners_are_reminded_before_and_after_the_due_date(owner: User) -> None:
    item = make_item(owner, due_on=TODAY + timedelta(days=10))
    common = {"kind": "incident", "template": "standard", "owner": owner}
    common |= {"created_at": NOW, "updated_at": NOW}
    soon = Postmortem.objects.create(
        incident=item.incident, title="Checkout", due_on=TODAY + timedelta(days=2), **common
    )
    other = make_item(owner, due_on=TODAY + timedelta(days=10), incident_title="Search slow")
    late = Postmortem.objects.create(
        incident=other.incident, title="Search", due_on=TODAY - timedelta(days=1), **common
    )
    scan_reminders(NOW)
    assert kinds() == sorted(
        [(Kind.POSTMORTEM_DUE_SOON, soon.pk), (Kind.POSTMORTEM_OVERDUE, late.pk)]
    )
    Postmortem.objects.filter(pk=soon.pk).update(status="approved")
    Postmortem.objects.filter(pk=late.pk).update(
        due_on=TODAY + timedelta(days=1), status="in_review"
    )
    scan_reminders(NOW + timedelta(minutes=5))
    assert SentNotification.objects.filter(
        kind=Kind.POSTMORTEM_DUE_SOON, object_id=late.pk
    ).exists()


def test_the_ledger_refuses_a_second_row_for_the_same_reminder(owner: User) -> None:
    from django.db import IntegrityError, transaction

    item = make_item(owner, due_on=TODAY)
    scan_reminders(NOW)
    row = SentNotification.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        SentNotification.objects.create(
            kind=row.kind,
            object_id=item.pk,
            recipient=owner,
            slot=item.due_on,
            created_at=NOW,
            batch=row.batch,
        )


def test_a_scan_makes_the_same_number_of_queries_for_few_or_many_items(owner: User) -> None:
    sam = create_user("sam", email="sam@example.org")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            scan_reminders(NOW)
        # The test's own transaction turns the scan's into a savepoint.
        return sum("SAVEPOINT" not in q["sql"] for q in captured.captured_queries)

    for n in range(3):
        make_item(owner if n % 2 else sam, due_on=TODAY + timedelta(days=n % 3))
    first_small = queries()
    steady_small = queries()
    for n in range(30):
        make_item(
            owner if n % 2 else sam, due_on=TODAY + timedelta(days=n % 3) - timedelta(days=n % 2)
        )
    first_large = queries()
    steady_large = queries()
    assert steady_small == steady_large == 2
    assert first_small == first_large


def test_the_weekly_digest_goes_once_a_week_from_the_chosen_day_and_hour(
    owner: User, settings: Settings
) -> None:
    settings.DIGEST_WEEKDAY, settings.DIGEST_HOUR = 5, 8  # Friday, 08:00
    muted = create_user("lea", email="lea@example.org", language="fr")
    idle = create_user("jonas", email="jonas@example.org")  # nothing open: no digest
    make_item(owner, due_on=TODAY + timedelta(days=20))
    make_item(muted, due_on=TODAY + timedelta(days=20))
    update_notification_preferences(muted, digests_muted=True, reminders_muted=False)

    assert scan_digests(NOW).decided == 0  # Thursday
    friday_early = datetime(2026, 11, 27, 7, 30, tzinfo=UTC)
    assert scan_digests(friday_early).decided == 0
    friday = datetime(2026, 11, 27, 8, 5, tzinfo=UTC)
    assert scan_digests(friday).decided == 1
    assert scan_digests(friday + timedelta(hours=3)).decided == 0
    assert scan_digests(friday + timedelta(days=2)).decided == 0  # Sunday, same week
    row = SentNotification.objects.get(kind=Kind.DIGEST)
    assert (row.recipient_id, row.slot) == (owner.pk, date(2026, 11, 23))
    assert not SentNotification.objects.filter(recipient__in=[muted, idle]).exists()
    next_friday = friday + timedelta(days=7)
    assert scan_digests(next_friday).decided == 1


def test_the_digest_goes_only_to_people_who_can_see_their_open_work(
    owner: User, settings: Settings
) -> None:
    """The digest shows only work on incidents its reader may see; someone
    whose only open work is on a private incident they cannot see (it was
    given to them before the incident turned private) is not a recipient,
    by the same rule: the incident's participants and admins still are."""
    from hotwash.accounts.models import Role
    from hotwash.actions.services import create_action_item
    from hotwash.incidents.services import add_participant, declare_incident, update_incident

    settings.DIGEST_WEEKDAY, settings.DIGEST_HOUR = 4, 7  # Thursday, 07:00
    lina = create_user("lina", email="lina@example.org", role=Role.RESPONDER)
    ada = create_user("ada", email="ada@example.org", role=Role.ADMIN)
    incident = declare_incident(actor=owner, title="Payroll export left on a share")
    for person in (lina, ada):
        create_action_item(actor=owner, title="Encrypt exports", owner=person, incident=incident)
    update_incident(incident, actor=owner, changes={"private": True})

    assert scan_digests(NOW).decided == 1
    row = SentNotification.objects.get(kind=Kind.DIGEST)
    assert row.recipient_id == ada.pk
    # Once she takes part in the incident again, her work is hers to see.
    add_participant(incident, actor=owner, user=lina)
    assert scan_digests(NOW + timedelta(minutes=5)).decided == 1
    assert SentNotification.objects.filter(kind=Kind.DIGEST, recipient=lina).exists()
