"""The real thing: Debian's Prometheus scrapes a real `hotwash serve`
with the metrics token and evaluates the shipped alert rules on what it
got; promtool checks the shipped scrape config and rules, so the examples
in docs/prometheus/ cannot rot."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.notifications import wait_until
from tests.support.prometheus import (
    INSTALLED,
    alerts,
    promtool,
    query,
    rule_health,
    running_prometheus,
    scrape_job,
    targets,
)
from tests.support.servers import running_server, server_database

pytestmark = pytest.mark.skipif(
    not INSTALLED, reason="Debian's prometheus is not installed (make system-deps)"
)

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "prometheus"
RULES = EXAMPLES / "hotwash-rules.yml"
TOKEN = "metrics-token-for-tests-0123456789"
DEADLINE = 60.0


def test_promtool_accepts_the_example_scrape_config(tmp_path: Path) -> None:
    copy = tmp_path / "prometheus"
    shutil.copytree(EXAMPLES, copy)
    # The token file the example names, beside it, as the docs say.
    (copy / "hotwash-metrics-token").write_text(TOKEN)
    result = promtool("check", "config", str(copy / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_alert_rules_and_their_unit_tests() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", str(EXAMPLES / "hotwash-rules.test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.server
def test_prometheus_scrapes_hotwash_with_the_token_and_runs_the_rules(tmp_path: Path) -> None:
    with server_database(tmp_path) as database:
        database.env["HOTWASH_METRICS_TOKEN"] = TOKEN
        good, bad = tmp_path / "token", tmp_path / "wrong-token"
        good.write_text(TOKEN)
        bad.write_text("not-the-metrics-token-0123")
        with (
            running_server(database, "--no-collectstatic") as server,
            running_prometheus(
                tmp_path,
                [scrape_job("hotwash", server.url, good), scrape_job("intruder", server.url, bad)],
                rule_files=[RULES],
            ) as prometheus,
        ):

            def scraped() -> bool:
                found = targets(prometheus)
                return (
                    all(
                        found.get(job, {}).get("lastScrape", "").startswith("2")
                        for job in ("hotwash", "intruder")
                    )
                    and found["hotwash"]["health"] == "up"
                )

            assert wait_until(scraped, timeout=DEADLINE), targets(prometheus)
            found = targets(prometheus)
            assert found["hotwash"]["health"] == "up", found["hotwash"]
            # A scraper with the wrong token gets nothing.
            assert found["intruder"]["health"] == "down"
            assert "401" in found["intruder"]["lastError"]

            def series() -> list[dict[str, Any]] | None:
                result = query(prometheus, '{__name__=~"hotwash_.+", job="hotwash"}')
                names = {sample["metric"]["__name__"] for sample in result}
                wanted = {"hotwash_build_info", "hotwash_incidents_open", "hotwash_queue_tasks"}
                return result if wanted <= names else None

            assert wait_until(lambda: series() is not None, timeout=DEADLINE)
            assert (
                query(prometheus, 'hotwash_incidents_open{severity="SEV1"}')[0]["value"][1] == "0"
            )
            assert not query(prometheus, '{__name__=~"hotwash_.+", job="intruder"}')

            # The shipped rules run on the real series: no worker runs beside
            # this server, so readiness fails on the worker check.
            def not_ready() -> bool:
                return any(
                    alert["labels"]["alertname"] == "HotwashNotReady"
                    and alert["labels"].get("check") == "worker"
                    for alert in alerts(prometheus)
                )

            assert wait_until(not_ready, timeout=DEADLINE), alerts(prometheus)
            assert wait_until(
                lambda: set(rule_health(prometheus).values()) == {"ok"}, timeout=DEADLINE
            ), rule_health(prometheus)
