from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.servers import running_server, server_database

pytestmark = pytest.mark.server


def test_it_serves_the_app_and_static_files(tmp_path: Path) -> None:
    with server_database(tmp_path) as database, running_server(database) as server:
        token = database.create_user("amira")
        assert token.startswith("hw_")
        assert httpx.get(f"{server.url}/static/admin/css/base.css").status_code == 200
        assert (
            httpx.get(f"{server.url}/api/v1/openapi.json").json()["info"]["title"] == "Hotwash API"
        )
