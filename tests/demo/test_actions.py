"""Demo action items: a dozen across the demo incidents and people, some
overdue, some done, made through the services."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hotwash.actions.dashboard import build
from hotwash.actions.models import ActionItem, Status
from hotwash.demo.actions import DEMO_ITEMS, create_demo_action_items
from hotwash.demo.load import load_demo
from hotwash.incidents.models import TimelineKind

pytestmark = pytest.mark.django_db


def test_demo_items_fill_the_dashboard(django_user_model: type[User]) -> None:
    load_demo()  # may already create the action items (the lead's demo calls us)
    create_demo_action_items()
    items = list(ActionItem.objects.select_related("incident", "owner"))
    assert len(items) == len(DEMO_ITEMS) == 12
    today = timezone.localdate()
    assert sum(item.is_overdue(today) for item in items) >= 2
    done = [item for item in items if item.status == Status.DONE]
    assert len(done) >= 4
    assert all(item.done_at is not None and item.done_at <= timezone.now() for item in done)
    assert any(item.status == Status.WONT_DO and item.wont_do_reason for item in items)
    assert len({item.owner_id for item in items}) >= 4
    for item in items:
        assert item.incident is not None
        assert item.created_at >= item.incident.declared_at
        entry = item.incident.timeline.filter(kind=TimelineKind.ACTION_ITEM, data__item=item.pk)
        assert entry.exists()
    admin = django_user_model.objects.get(username="admin")
    board = build(admin, period=None)
    assert board.total.done == len(done)
    assert board.total.overdue >= 2 and board.total.median_days is not None
    assert {row.key for row in board.teams} >= {"storefront", "platform"}
    # Twice is the same as once.
    assert create_demo_action_items() == []
    assert ActionItem.objects.count() == 12


def _page_dates(client: Client, item: ActionItem) -> tuple[date, date | None]:
    """The due date and the day it was done, as the item's page shows them."""
    html = client.get(f"/en/action-items/{item.pk}/").content.decode()
    due = re.search(r'<dt>Due</dt><dd><time datetime="([\d-]+)"', html)
    done = re.search(r'<dt>Done</dt><dd><time datetime="([\d-]+)T', html)
    assert due is not None, item.title
    return date.fromisoformat(due.group(1)), date.fromisoformat(done.group(1)) if done else None


def test_each_items_page_and_the_dashboard_agree_on_its_due_date() -> None:
    """Done on time or late, as each owner's dashboard row counts it, is what
    the item's page says (its due date against the day it was done), in the
    owner's time zone; and the items the demo means to be done late are."""
    load_demo()
    create_demo_action_items()
    meant_late = {d.title for d in DEMO_ITEMS if d.done is not None and d.done > d.due}
    assert meant_late
    for owner in User.objects.filter(action_items__status=Status.DONE).distinct():
        client = Client()
        client.force_login(owner)
        client.get("/en/action-items/dashboard/")  # the owner's time zone, as any page uses it
        with timezone.override(owner.profile.timezone):
            row = next(r for r in build(owner, period=None).people if r.key == owner.username)
        on_time = 0
        for item in ActionItem.objects.filter(owner=owner, status=Status.DONE):
            due, done = _page_dates(client, item)
            assert done is not None
            on_time += done <= due
            assert (done > due) == (item.title in meant_late), item.title
        assert row.done_on_time == on_time, owner.username
