"""The operations endpoints through a real `hotwash serve`: readiness as
separate processes see it (a real worker, a database left unmigrated, a
database that cannot be read), and metrics added up across several server
processes (Prometheus' multiprocess mode)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.support.notifications import running_workers, wait_until
from tests.support.prometheus import Samples
from tests.support.servers import ServerDatabase, running_server, server_database

pytestmark = pytest.mark.server


def test_readiness_waits_for_a_real_worker(tmp_path: Path) -> None:
    with (
        server_database(tmp_path) as database,
        running_server(database, "--no-collectstatic") as server,
    ):
        response = httpx.get(f"{server.url}/readyz", timeout=10)
        assert response.status_code == 503
        assert response.json()["checks"]["worker"] == "no worker seen"
        with running_workers(database, 1):
            assert wait_until(
                lambda: httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200,
                timeout=60,
            ), httpx.get(f"{server.url}/readyz", timeout=10).text
        samples = Samples(httpx.get(f"{server.url}/metrics", timeout=10).text)
        assert samples("hotwash_ready", check="worker") == 1
        assert samples("hotwash_worker_last_seen_timestamp_seconds") > 0


def test_readiness_names_an_unapplied_migration(tmp_path: Path) -> None:
    with server_database(tmp_path) as database:
        database.run("migrate", "jobs", "0001", "--no-input", "-v0")
        with running_server(database, "--no-collectstatic") as server:
            response = httpx.get(f"{server.url}/readyz", timeout=10)
            assert response.status_code == 503
            checks = response.json()["checks"]
            assert checks["database"] == "ok"
            assert checks["migrations"] == "1 unapplied: jobs.0002_workerheartbeat"
            assert checks["worker"] != "ok"
            # The scrape still succeeds and says which check fails.
            metrics = httpx.get(f"{server.url}/metrics", timeout=10)
            assert metrics.status_code == 200
            samples = Samples(metrics.text)
            assert samples("hotwash_ready", check="migrations") == 0
            assert samples("hotwash_ready", check="database") == 1


def test_readiness_says_the_database_is_unreachable_and_health_does_not_care(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    broken = data_dir / "hotwash.sqlite3"
    broken.write_bytes(b"not a database, whatever its name says. " * 20)
    url = f"sqlite:///{broken}"
    env = {**os.environ, "HOTWASH_DATA_DIR": str(data_dir), "DATABASE_URL": url}
    env.pop("HOTWASH_TEST_DATABASE_NAME", None)
    with running_server(ServerDatabase(url, data_dir, env), "--no-collectstatic") as server:
        assert httpx.get(f"{server.url}/healthz", timeout=10).json() == {"status": "ok"}
        response = httpx.get(f"{server.url}/readyz", timeout=10)
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["database"].startswith("unreachable")
        assert checks["migrations"] == checks["worker"] == "not checked: database unreachable"
        samples = Samples(httpx.get(f"{server.url}/metrics", timeout=10).text)
        assert samples("hotwash_ready", check="database") == 0
        assert "hotwash_incidents_open" not in samples.names()


def test_several_server_processes_add_up_their_request_metrics(tmp_path: Path) -> None:
    with server_database(tmp_path) as database:
        metrics_dir = database.data_dir / "metrics"
        metrics_dir.mkdir()
        (metrics_dir / "counter_999999.db").write_bytes(b"left by an earlier run")
        with running_server(database, "--no-collectstatic", "--workers", "2") as server:
            # A file left by an earlier run is gone: its counts would be added in.
            assert not (metrics_dir / "counter_999999.db").exists()
            pids: set[str] = set()
            with httpx.Client(base_url=server.url, timeout=10) as client:
                # New connections, so granian spreads them over both processes.
                for _ in range(40):
                    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
                pids = {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("counter_*.db")}
                assert len(pids) >= 2, sorted(metrics_dir.iterdir())
                # Whichever process answers the scrape, it counts every process's requests.
                for _ in range(4):
                    samples = Samples(client.get("/metrics", headers={"Connection": "close"}).text)
                    healthz = {"route": "healthz", "method": "GET"}
                    assert samples("hotwash_http_requests_total", **healthz, status="200") == 40
                    assert samples("hotwash_http_request_duration_seconds_count", **healthz) == 40
                    assert samples("hotwash_incidents_open", severity="SEV1") == 0
