"""Demo action items: a dozen across the demo incidents and people, some
overdue, some done, made through the services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
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
