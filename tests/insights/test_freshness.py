"""How fresh the insights figures are (hotwash.insights.figures): kept
figures are shown while they hold, expensive ones are computed again by the
worker while the page shows the previous ones with their time, and figures
computed before a change of who may see what are never shown.

The figures are those of tests/insights/conftest.py (the clock stands at
2026-03-18 12:00 UTC)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from hotwash.incidents.models import Incident
from hotwash.incidents.services import add_participant, declare_incident, update_incident
from hotwash.insights import figures
from hotwash.insights.figures import (
    chart_from_data,
    forget_old_figures,
    keep_figures_current,
    refresh_figures,
)
from hotwash.insights.models import FiguresSnapshot
from hotwash.insights.present import CHART_NAMES, Context
from hotwash.insights.queries import Filters, period_for, scoped_incidents
from tests.insights.conftest import NOW, client_for

pytestmark = pytest.mark.django_db

URL = "/en/insights/"
TASK_PATH = "hotwash.insights.figures.refresh_figures"
STALE_NOTICE = "Newer figures are being computed now"


@pytest.fixture
def in_the_background(settings: Settings) -> None:
    """Any figures count as expensive: after a change, the worker computes
    them and the page shows the kept ones (for up to two hours)."""
    settings.INSIGHTS_BACKGROUND_AFTER_MS = 0
    settings.INSIGHTS_STALE_SECONDS = 7200


def severity_total(client: Client, column: str) -> int:
    """Incidents of the severity `column` in the last 4 weeks, as the page's
    JSON export counts them."""
    response = client.get(URL, {"period": "4w", "format": "json"})
    assert response.status_code == 200, response.content
    severity = next(c for c in response.json()["charts"] if c["name"] == "incidents-by-severity")
    index = severity["columns"].index(column)
    return sum(row[index] for row in severity["rows"])


def queued_refreshes() -> list[DBTaskResult[Any, Any]]:
    return list(DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY"))


def run_queued_refreshes() -> int:
    rows = queued_refreshes()
    for row in rows:
        refresh_figures.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.delete()
    return len(rows)


def test_kept_figures_are_shown_again_while_nothing_changed(
    manager: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(manager)
    client.get(URL, {"period": "4w"})
    assert FiguresSnapshot.objects.count() == 1
    snapshot = FiguresSnapshot.objects.get()
    FiguresSnapshot.objects.filter(pk=snapshot.pk).update(compute_ms=999_999)
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        again = client.get(URL, {"period": "4w"})
    assert "Figures computed at 2026-03-18 12:00." in again.content.decode()
    assert FiguresSnapshot.objects.get().compute_ms == 999_999  # not computed again
    assert queued_refreshes() == []


def test_after_a_change_the_page_shows_the_kept_figures_and_the_worker_computes_new_ones(
    manager: User, admin_user: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(manager)
    assert severity_total(client, "4") == 0
    declare_incident(actor=admin_user, title="Slow search", severity=4)

    page = client.get(URL, {"period": "4w"}).content.decode()
    assert STALE_NOTICE in page
    assert "These figures were computed at 2026-03-18 12:00." in page
    assert severity_total(client, "4") == 0  # the kept figures, until the worker is done
    assert len(queued_refreshes()) == 1  # one refresh, however many views

    assert run_queued_refreshes() == 1
    assert severity_total(client, "4") == 1
    assert STALE_NOTICE not in client.get(URL, {"period": "4w"}).content.decode()
    assert queued_refreshes() == []


def test_the_api_says_when_its_figures_are_being_computed_again(
    admin_user: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(admin_user)
    first = client.get("/api/v1/insights", {"period": "4w"}).json()
    assert first["stale"] is False
    assert first["computed_at"].startswith("2026-03-18T12:00:00")
    declare_incident(actor=admin_user, title="Slow search", severity=4)
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        second = client.get("/api/v1/insights", {"period": "4w"}).json()
        assert second["stale"] is True
        assert second["computed_at"] == first["computed_at"]
        run_queued_refreshes()
        third = client.get("/api/v1/insights", {"period": "4w"}).json()
    assert third["stale"] is False
    assert third["computed_at"].startswith("2026-03-18T12:03:00")


def test_a_refresh_lost_on_the_way_is_asked_for_again(
    manager: User, admin_user: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(manager)
    severity_total(client, "4")
    declare_incident(actor=admin_user, title="Slow search", severity=4)
    severity_total(client, "4")
    DBTaskResult.objects.filter(task_path=TASK_PATH).delete()  # a worker that lost it
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        severity_total(client, "4")
    assert queued_refreshes() == []  # asked a minute ago: still on its way
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        assert severity_total(client, "4") == 0
    assert len(queued_refreshes()) == 1


def test_figures_too_old_to_show_are_computed_on_the_page(
    manager: User, admin_user: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(manager)
    severity_total(client, "4")
    declare_incident(actor=admin_user, title="Slow search", severity=4)
    with time_machine.travel(NOW + timedelta(hours=2, seconds=1), tick=False):
        assert severity_total(client, "4") == 1
        assert STALE_NOTICE not in client.get(URL, {"period": "4w"}).content.decode()
    assert queued_refreshes() == []


def test_cheap_figures_are_computed_on_the_page(
    manager: User, admin_user: User, world: dict[str, Any], settings: Settings
) -> None:
    settings.INSIGHTS_STALE_SECONDS = 7200
    settings.INSIGHTS_BACKGROUND_AFTER_MS = 10_000_000
    client = client_for(manager)
    assert severity_total(client, "4") == 0
    declare_incident(actor=admin_user, title="Slow search", severity=4)
    assert severity_total(client, "4") == 1
    assert queued_refreshes() == []


def test_the_figures_running_up_to_now_are_at_most_an_hour_old(
    manager: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(manager)
    client.get(URL, {"period": "4w"})
    with time_machine.travel(NOW + timedelta(minutes=59, seconds=59), tick=False):
        assert STALE_NOTICE not in client.get(URL, {"period": "4w"}).content.decode()
    assert queued_refreshes() == []
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert STALE_NOTICE in client.get(URL, {"period": "4w"}).content.decode()
    assert len(queued_refreshes()) == 1


def test_an_incident_made_private_leaves_the_kept_figures_at_once(
    manager: User, admin_user: User, world: dict[str, Any], in_the_background: None
) -> None:
    # INC-b (SEV2, public) counts for the manager; made private, it must not
    # count at the next view, even though refreshing is the worker's job.
    client = client_for(manager)
    assert severity_total(client, "2") == 1
    update_incident(world["b"], actor=admin_user, changes={"private": True})
    assert severity_total(client, "2") == 0
    assert STALE_NOTICE not in client.get(URL, {"period": "4w"}).content.decode()


def test_admins_see_every_incident_so_a_privacy_change_is_only_new_data_to_them(
    admin_user: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(admin_user)
    assert severity_total(client, "2") == 2  # INC-b, and the private INC-c
    update_incident(world["b"], actor=admin_user, changes={"private": True})
    assert STALE_NOTICE in client.get(URL, {"period": "4w"}).content.decode()
    run_queued_refreshes()
    assert severity_total(client, "2") == 2


def test_a_reader_let_into_a_private_incident_sees_it_counted_at_once(
    manager: User, admin_user: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(manager)
    assert severity_total(client, "2") == 1  # INC-b; INC-c is private
    add_participant(world["c"], actor=admin_user, user=manager)
    assert severity_total(client, "2") == 2


def test_figures_are_kept_per_reader_filters_and_language(
    manager: User, admin_user: User, world: dict[str, Any], in_the_background: None
) -> None:
    client_for(manager).get(URL, {"period": "4w"})
    client_for(manager).get(URL, {"period": "quarter"})
    client_for(manager).get("/fr/insights/", {"period": "4w"})
    client_for(admin_user).get(URL, {"period": "4w"})
    assert FiguresSnapshot.objects.count() == 4
    assert FiguresSnapshot.objects.filter(reader=manager).count() == 3
    assert FiguresSnapshot.objects.filter(reader=None).count() == 1  # the admins'


def test_the_worker_computes_in_the_readers_language(
    manager: User, admin_user: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(manager)
    client.get("/fr/insights/", {"period": "4w"})
    declare_incident(actor=admin_user, title="Slow search", severity=4)
    stale = client.get("/fr/insights/", {"period": "4w"}).content.decode()
    assert "Ces chiffres ont été calculés le 2026-03-18 12:00." in stale
    run_queued_refreshes()
    page = client.get("/fr/insights/", {"period": "4w"}).content.decode()
    assert "Incidents par semaine selon la gravité" in page
    assert "Chiffres calculés le 2026-03-18 12:00." in page
    assert "De nouveaux chiffres sont en cours de calcul" not in page


def test_kept_charts_come_back_as_they_were(manager: User, world: dict[str, Any]) -> None:
    filters = Filters(period=period_for("quarter", NOW.date()))
    context = Context(filters=filters, today=NOW.date(), now=NOW)
    computed = figures.figures(manager, context)
    snapshot = FiguresSnapshot.objects.get()
    charts = [chart_from_data(data) for s in snapshot.figures["sections"] for data in s["charts"]]
    assert charts == computed.charts
    assert tuple(chart.name for chart in charts) == CHART_NAMES
    assert computed.drawings["incidents-by-severity"].startswith("<svg")
    assert scoped_incidents(manager, filters).exists()


def test_old_figures_nobody_looks_at_are_forgotten(manager: User, world: dict[str, Any]) -> None:
    client_for(manager).get(URL, {"period": "4w"})  # looked at now: kept for the worker
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        client_for(manager).get(URL, {"period": "quarter"})
    assert FiguresSnapshot.objects.count() == 2
    assert forget_old_figures(now=NOW + timedelta(days=3)) == 0
    # A week after it was last looked at, the first is forgotten; the second
    # (computed and looked at on day 3) is kept until day 10.
    assert forget_old_figures(now=NOW + timedelta(days=7, seconds=1)) == 1
    assert FiguresSnapshot.objects.get().filters == {}  # the default period, a quarter
    assert forget_old_figures(now=NOW + timedelta(days=10, seconds=1)) == 1
    assert not FiguresSnapshot.objects.exists()


# --- the worker keeps the figures people look at current ----------------------


def keep_current(at: timedelta) -> int:
    with time_machine.travel(NOW + at, tick=False):
        return keep_figures_current(now=timezone.now())


def test_the_worker_computes_again_the_figures_someone_looks_at_after_a_change(
    manager: User, admin_user: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(manager)
    assert severity_total(client, "4") == 0
    assert keep_current(timedelta(seconds=30)) == 0  # current: nothing to do
    declare_incident(actor=admin_user, title="Slow search", severity=4)
    assert keep_current(timedelta(minutes=1)) == 1
    assert keep_current(timedelta(minutes=1, seconds=30)) == 0  # already on its way
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        assert run_queued_refreshes() == 1
        assert severity_total(client, "4") == 1  # computed by the worker: no notice, no new refresh
        assert STALE_NOTICE not in client.get(URL, {"period": "4w"}).content.decode()
    assert queued_refreshes() == []


def test_the_worker_computes_them_again_before_they_grow_old(
    manager: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(manager)  # signing in writes an audit record: new data
    client.get(URL, {"period": "4w"})
    assert keep_current(timedelta(minutes=49, seconds=59)) == 0
    assert keep_current(timedelta(minutes=50)) == 1
    with time_machine.travel(NOW + timedelta(minutes=50), tick=False):
        run_queued_refreshes()
    with time_machine.travel(NOW + timedelta(minutes=70), tick=False):
        page = client.get(URL, {"period": "4w"}).content.decode()
    assert "Figures computed at 2026-03-18 12:50." in page
    assert STALE_NOTICE not in page


def test_the_morning_page_was_computed_by_the_worker_after_midnight(
    manager: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(manager)
    client.get(URL, {"period": "4w"})
    next_day = timedelta(hours=12, minutes=1)  # 2026-03-19 00:01 UTC
    assert keep_current(next_day) == 1
    with time_machine.travel(NOW + next_day, tick=False):
        run_queued_refreshes()
    assert FiguresSnapshot.objects.count() == 2  # yesterday's and today's
    with time_machine.travel(NOW + timedelta(hours=12, minutes=30), tick=False):
        page = client.get(URL, {"period": "4w"}).content.decode()
    assert "Figures computed at 2026-03-19 00:01." in page


def test_the_worker_leaves_alone_cheap_figures_and_those_nobody_looked_at_this_week(
    manager: User, admin_user: User, world: dict[str, Any], settings: Settings
) -> None:
    settings.INSIGHTS_STALE_SECONDS = 7200
    settings.INSIGHTS_BACKGROUND_AFTER_MS = 10_000_000  # cheap: computed on the page
    client_for(manager).get(URL, {"period": "4w"})
    declare_incident(actor=admin_user, title="Slow search", severity=4)
    assert keep_current(timedelta(minutes=1)) == 0
    settings.INSIGHTS_BACKGROUND_AFTER_MS = 0
    assert keep_current(timedelta(minutes=1)) == 1
    DBTaskResult.objects.all().delete()
    FiguresSnapshot.objects.update(refresh_requested_at=None)
    assert keep_current(timedelta(days=7, minutes=1)) == 0
    manager.groups.clear()  # no longer allowed to view insights
    assert keep_current(timedelta(minutes=2)) == 0


def test_a_refresh_for_someone_gone_does_nothing(db: None) -> None:
    refresh_figures.call(987654, {"period": "4w"}, "2026-03-18", "en", "UTC")
    assert not FiguresSnapshot.objects.exists()
    assert not Incident.objects.exists()


def test_the_worker_keeps_current_a_few_named_periods_per_reader_not_dates_picked_by_hand(
    manager: User, admin_user: User, world: dict[str, Any], in_the_background: None
) -> None:
    client = client_for(manager)
    client.get(URL, {"since": "2026-02-01", "until": "2026-03-01"})
    severities = ("1", "2", "3", "4", "1,2", "3,4")  # six sets of filters, oldest first
    for second, severity in enumerate(severities, start=1):
        with time_machine.travel(NOW + timedelta(seconds=second), tick=False):
            client.get(URL, {"period": "4w", "severity": severity})
    declare_incident(actor=admin_user, title="Slow search", severity=4)
    assert keep_current(timedelta(minutes=1)) == 5
    refreshed = {tuple(row.args_kwargs["args"][1].items()) for row in queued_refreshes()}
    assert (("period", "4w"), ("severity", "1")) not in refreshed  # the oldest of the six
    assert not any(("since", "2026-02-01") in filters for filters in refreshed)
    # Three days on, the dates picked by hand are forgotten; the others
    # still tell the worker what to keep current.
    assert forget_old_figures(now=NOW + timedelta(days=3)) == 1
    assert FiguresSnapshot.objects.count() == 6
