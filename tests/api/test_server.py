"""The API through a real `hotwash serve` process: what a script sees."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.support.servers import running_server, server_database

pytestmark = pytest.mark.server


def test_a_script_declares_and_writes_through_a_real_server(tmp_path: Path) -> None:
    with server_database(tmp_path) as database, running_server(database) as server:
        token = database.create_user("amira")
        with httpx.Client(
            base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {token}"}
        ) as api:
            check_a_session(api, server.url)

        assert httpx.get(f"{server.url}/api/v1/incidents").status_code == 401


def check_a_session(api: httpx.Client, site: str) -> None:
    declared = api.post("/incidents", json={"title": "Checkout fails"})
    assert declared.status_code == 201
    ref = declared.json()["id"]
    assert declared.json()["url"] == f"{site}/en/incidents/{ref}/"

    note = api.post(f"/incidents/{ref}/timeline", json={"body": "Rolled back."})
    assert note.status_code == 201
    texts = [item["text"] for item in api.get(f"/incidents/{ref}/timeline").json()["items"]]
    assert texts[-1] == "Rolled back."

    malformed = api.post(
        "/incidents", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    oversized = api.post("/incidents", json={"title": "x", "summary": "x" * 1_100_000})
    assert oversized.status_code == 413
    assert api.get("/incidents").json()["count"] == 1


def test_the_docs_page_and_its_assets_are_served_locally(tmp_path: Path) -> None:
    with server_database(tmp_path) as database, running_server(database) as server:
        page = httpx.get(f"{server.url}/api/v1/docs")
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
        assert assets
        for asset in assets:
            assert httpx.get(f"{server.url}{asset}").status_code == 200, asset
