"""Reading /metrics, and the real Prometheus (Debian's `prometheus`
package, installed by `make system-deps`) on loopback."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.notifications import wait_until
from tests.support.servers import free_port, stop

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
INSTALLED = Path(PROMETHEUS).exists() and Path(PROMTOOL).exists()
START_TIMEOUT = 60.0


class Samples:
    """The samples of one /metrics answer, by name and labels."""

    def __init__(self, text: str) -> None:
        self.values: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self.values[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def __call__(self, name: str, **labels: str) -> float:
        """The sample's value; KeyError when the series is absent."""
        return self.values[(name, frozenset(labels.items()))]

    def get(self, name: str, **labels: str) -> float:
        """The sample's value, 0 when the series is absent."""
        return self.values.get((name, frozenset(labels.items())), 0.0)

    def names(self) -> set[str]:
        return {name for name, _labels in self.values}

    def labels(self, name: str) -> list[dict[str, str]]:
        return [dict(labels) for sample, labels in self.values if sample == name]


def scrape_job(name: str, hotwash_url: str, token_file: Path) -> str:
    """One scrape job of Hotwash every second, with the token in `token_file`."""
    return f"""\
  - job_name: {name}
    scrape_interval: 1s
    scrape_timeout: 1s
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: {token_file}
    static_configs:
      - targets: ["{urlsplit(hotwash_url).netloc}"]
"""


@contextlib.contextmanager
def running_prometheus(
    tmp_path: Path, jobs: list[str], rule_files: list[Path] | None = None
) -> Iterator[str]:
    """Prometheus with these scrape jobs (see `scrape_job`), evaluating
    `rule_files` every second, on a free loopback port, its storage in
    `tmp_path`; yields its URL."""
    config = tmp_path / "prometheus.yml"
    rules = "".join(f"  - {path}\n" for path in rule_files or [])
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        + (f"rule_files:\n{rules}" if rules else "")
        + "scrape_configs:\n"
        + "".join(jobs)
    )
    port = free_port()
    log_path = tmp_path / "prometheus.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert process.poll() is None, log_path.read_text()
            with contextlib.suppress(httpx.TransportError):
                return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
            return False

        assert wait_until(ready, timeout=START_TIMEOUT), log_path.read_text()
        yield url
    finally:
        stop(process)
        log.close()


def query(prometheus_url: str, expression: str) -> list[dict[str, Any]]:
    """The result of an instant query through Prometheus' HTTP API."""
    response = httpx.get(f"{prometheus_url}/api/v1/query", params={"query": expression}, timeout=5)
    response.raise_for_status()
    body = response.json()
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def targets(prometheus_url: str) -> dict[str, dict[str, Any]]:
    """Prometheus' active targets by job name."""
    response = httpx.get(f"{prometheus_url}/api/v1/targets", timeout=5)
    response.raise_for_status()
    active: list[dict[str, Any]] = response.json()["data"]["activeTargets"]
    return {target["labels"]["job"]: target for target in active}


def alerts(prometheus_url: str) -> list[dict[str, Any]]:
    """The alerts Prometheus' rules have pending or firing."""
    response = httpx.get(f"{prometheus_url}/api/v1/alerts", timeout=5)
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()["data"]["alerts"]
    return found


def rule_health(prometheus_url: str) -> dict[str, str]:
    """Each loaded rule's health ("ok", "err", "unknown" before its first
    evaluation), by alert name."""
    response = httpx.get(f"{prometheus_url}/api/v1/rules", timeout=5)
    response.raise_for_status()
    return {
        rule["name"]: rule["health"]
        for group in response.json()["data"]["groups"]
        for rule in group["rules"]
    }


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False
    )
