"""What every browser test file shares: one headless Chromium per file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:
    from playwright import sync_api


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
