"""Fixtures the integrations' tests share."""

from __future__ import annotations

import pytest

from hotwash.trackers.clients import TrackerClient


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two issues a page, so a few issues make several pages."""
    monkeypatch.setattr(TrackerClient, "per_page", 2)
