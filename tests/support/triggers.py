"""What the trigger tests share: an alert source, a way to send alerts
through the real ingestion path, and a policy file of the test's own.
(No tests here; the fixtures are imported by the modules in tests/triggers/.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_django import Settings

from hotwash.alerts.ingest import IncomingAlert, IngestResult, ingest
from hotwash.alerts.models import AlertSource
from hotwash.alerts.services import create_source
from hotwash.triggers import engine
from hotwash.triggers.signals import policy_fired

T0 = datetime(2026, 11, 26, 3, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_claims() -> Iterator[None]:
    engine.forget_claims()
    yield
    engine.forget_claims()


@pytest.fixture
def source(db: None) -> AlertSource:
    return create_source(name="prometheus", kind="alertmanager")[0]


def alert(
    name: str = "ShopDown",
    *,
    fingerprint: str | None = None,
    status: str = "firing",
    starts_at: datetime = T0,
    group: str = "shop-group",
    summary: str = "",
    **labels: str,
) -> IncomingAlert:
    labels = {"alertname": name, **labels}
    return IncomingAlert(
        fingerprint=fingerprint or f"{name}-{sorted(labels.items())}",
        status=status,
        labels=labels,
        annotations={"summary": summary} if summary else {},
        starts_at=starts_at,
        ends_at=None,
        generator_url="http://prometheus.example:9090/graph",
        group_key=group,
        group_labels={"alertname": name},
    )


def send(source: AlertSource, *alerts: IncomingAlert, now: datetime | None = None) -> IngestResult:
    return ingest(source, list(alerts), now=now)


@pytest.fixture
def policy_file(tmp_path: Path, settings: Settings) -> Iterator[Callable[[str], Path]]:
    """Write a trigger policy file and make it the one in force."""

    def write(text: str) -> Path:
        path = tmp_path / "triggers.yaml"
        path.write_text(text, encoding="utf-8")
        settings.TRIGGER_POLICY_FILE = str(path)
        return path

    yield write


@dataclass
class Fired:
    firings: list[Any] = field(default_factory=list)

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        self.firings.append(kwargs["firing"])


@pytest.fixture
def fired() -> Iterator[Fired]:
    recorder = Fired()
    policy_fired.connect(recorder, weak=False)
    yield recorder
    policy_fired.disconnect(recorder)
