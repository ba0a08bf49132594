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

    def names(self) -> set[str]:
        return {name for name, _labels in self.values}

    def labels(self, name: str) -> list[dict[str, str]]:
        return [dict(labels) for sample, labels in self.values if sample == name]


SCRAPE_CONFIG = """\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: hotwash
    scrape_interval: 1s
    scrape_timeout: 1s
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: {token_file}
    static_configs:
      - targets: ["{target}"]
"""


@contextlib.contextmanager
def running_prometheus(tmp_path: Path, hotwash_url: str, token: str) -> Iterator[str]:
    """Prometheus scraping `hotwash_url`/metrics every second with `token`,
    on a free loopback port, with its storage in `tmp_path`; its URL."""
    token_file = tmp_path / "metrics-token"
    token_file.write_text(token)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        SCRAPE_CONFIG.format(token_file=token_file, target=urlsplit(hotwash_url).netloc)
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


def targets(prometheus_url: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{prometheus_url}/api/v1/targets", timeout=5)
    response.raise_for_status()
    active: list[dict[str, Any]] = response.json()["data"]["activeTargets"]
    return active


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False
    )
