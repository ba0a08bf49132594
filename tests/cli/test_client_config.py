"""The API client on its own: configuration, errors, paging. The network
edge is an httpx mock transport; the real server is in test_client.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from hotwash.client import ApiClient, ClientConfig, ClientError, load_config
from hotwash.core.client_render import Clock
from hotwash.incidents.management.commands import list as list_command
from hotwash.incidents.management.commands import show as show_command
from hotwash.incidents.management.commands._render import normalise_ref, time_since

CONFIG = ClientConfig(url="http://hotwash.test", token="hw_secret")


def client(handler: Callable[[httpx.Request], httpx.Response]) -> ApiClient:
    return ApiClient(CONFIG, transport=httpx.MockTransport(handler))


# --- configuration --------------------------------------------------------------


def test_it_reads_url_and_token_from_the_environment(tmp_path: Path) -> None:
    config = load_config(
        {"HOME": str(tmp_path), "HOTWASH_URL": "https://hw.example/", "HOTWASH_TOKEN": "hw_x"}
    )
    assert (config.url, config.token, config.timezone) == ("https://hw.example", "hw_x", "")


def test_it_accepts_an_url_that_already_names_the_api(tmp_path: Path) -> None:
    env = {"HOTWASH_URL": "https://hw.example/api/v1/", "HOTWASH_TOKEN": "hw_x"}
    assert load_config(env).url == "https://hw.example"


def test_it_reads_the_default_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config" / "hotwash" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('url = "https://hw.example"\ntoken = "hw_file"\ntimezone = "Europe/Paris"\n')
    config = load_config({"XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert (config.url, config.token, config.timezone) == (
        "https://hw.example",
        "hw_file",
        "Europe/Paris",
    )
    # The environment wins, key by key.
    mixed = load_config({"XDG_CONFIG_HOME": str(tmp_path / "config"), "HOTWASH_TOKEN": "hw_env"})
    assert (mixed.url, mixed.token) == ("https://hw.example", "hw_env")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "Hotwash is not configured"),
        ({"HOTWASH_URL": "https://hw.example"}, "Hotwash is not configured"),
        ({"HOTWASH_URL": "hw.example", "HOTWASH_TOKEN": "t"}, "must start with http"),
    ],
)
def test_it_says_what_is_missing(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ClientError, match=message):
        load_config({"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), **env})


# --- errors ---------------------------------------------------------------------


def test_an_api_error_carries_its_message_status_and_field() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"message": "Give the incident a title.", "field": "title", "errors": []}
        return httpx.Response(422, json=body)

    with client(handler) as api, pytest.raises(ClientError) as caught:
        api.post("/incidents", {"title": ""})
    assert (caught.value.message, caught.value.status, caught.value.field) == (
        "Give the incident a title.",
        422,
        "title",
    )


def test_an_answer_that_is_not_json_is_described_by_its_status() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html><h1>Bad gateway</h1></html>")

    with client(handler) as api, pytest.raises(ClientError) as caught:
        api.get("/incidents")
    assert caught.value.message == "The server answered 502 Bad Gateway."


def test_it_sends_the_token_and_language() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    config = ClientConfig(url="http://hotwash.test", token="hw_secret", language="fr")
    with ApiClient(config, transport=httpx.MockTransport(handler)) as api:
        api.get("/me")
    assert str(seen[0].url) == "http://hotwash.test/api/v1/me"
    assert seen[0].headers["Authorization"] == "Bearer hw_secret"
    assert seen[0].headers["Accept-Language"] == "fr"


def test_a_timeout_is_reported_plainly() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with client(handler) as api, pytest.raises(ClientError, match="did not answer within"):
        api.get("/incidents")


# --- paging ---------------------------------------------------------------------


def pages(total: int) -> Callable[[httpx.Request], httpx.Response]:
    """A fake incident list of `total` items, paged like the API."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        per_page = int(request.url.params["per_page"])
        start = (page - 1) * per_page
        items = [{"id": f"INC-{n}"} for n in range(start + 1, min(start + per_page, total) + 1)]
        more = start + per_page < total
        body = {"items": items, "count": total, "page": page, "per_page": per_page}
        return httpx.Response(200, json={**body, "next": "next" if more else None})

    return handler


@pytest.mark.parametrize(
    ("total", "limit", "shown"), [(450, 450, 450), (450, 250, 250), (3, 20, 3)]
)
def test_list_joins_pages_up_to_the_limit(total: int, limit: int, shown: int) -> None:
    options: dict[str, Any] = dict.fromkeys(
        (
            *("status", "severity", "service", "q", "since", "until", "sort", "type", "field"),
            *("team", "trigger", "detection", "merged"),
        )
    )
    with client(pages(total)) as api:
        answer = list_command.Command().call(api, {**options, "limit": limit})
    assert [item["id"] for item in answer["items"]] == [f"INC-{n}" for n in range(1, shown + 1)]
    assert answer["count"] == total
    json.dumps(answer)  # still printable with --json


@pytest.mark.parametrize(("total", "wanted"), [(23, 10), (20, 10), (5, 10), (11, 10)])
def test_show_fetches_the_latest_entries(total: int, wanted: int) -> None:
    with client(pages(total)) as api:
        entries = show_command._latest_entries(api, {"ref": "INC-1", "entries": wanted})
    first = max(total - wanted, 0) + 1
    assert [entry["id"] for entry in entries] == [f"INC-{n}" for n in range(first, total + 1)]


# --- output helpers ----------------------------------------------------------------


def test_times_show_their_zone() -> None:
    now = datetime(2026, 11, 26, 3, 40, tzinfo=UTC)
    clock = Clock(zone=ZoneInfo("Europe/Paris"), now=now)
    assert clock.time(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == "2026-07-01 14:00 CEST"
    assert clock.short(datetime(2026, 11, 26, 3, 12, tzinfo=UTC)) == "04:12 CET"
    assert clock.short(datetime(2026, 11, 20, 3, 12, tzinfo=UTC)) == "2026-11-20 04:12 CET"
    assert time_since(clock, datetime(2026, 11, 26, 3, 12, tzinfo=UTC)) == "28 min"


@pytest.mark.parametrize(
    ("typed", "ref"), [("42", "INC-42"), ("inc-42", "INC-42"), ("INC-42", "INC-42"), ("x", "x")]
)
def test_references_are_normalised(typed: str, ref: str) -> None:
    assert normalise_ref(typed) == ref
