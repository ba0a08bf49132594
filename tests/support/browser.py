"""Headless Chromium from Debian (/usr/bin/chromium, `make system-deps`),
driven by Playwright, for the tests in tests/browser/."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.axe import require_axe

if TYPE_CHECKING:
    from playwright import sync_api

    from tests.support.servers import RunningServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "pw-for-tests-42"
WAIT_MS = 30_000  # for things that should happen; never asserted (a bound on a loaded machine)


def signed_in(
    browser: sync_api.Browser, server: RunningServer, language: str, username: str
) -> sync_api.Page:
    page = browser.new_context(base_url=server.url).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"/{language}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form.stacked-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/{language}/(?!accounts/login)"))
    return page


def require_chromium_and_axe() -> None:
    """Skip without Debian's Chromium or axe-core; fail under CI, which
    installs both (a skip there would hide a broken setup)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `make system-deps` installs Chromium from Debian."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    require_axe()


def api_call(server: RunningServer, token: str, method: str, path: str, body: Any = None) -> Any:
    """Set up through the API (the browser does the part under test); the
    answer's JSON, after checking it succeeded."""
    response = httpx.request(
        method,
        f"{server.url}/api/v1{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=WAIT_MS / 1000,
    )
    assert response.status_code in (200, 201), response.text
    return response.json()
