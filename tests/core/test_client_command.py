"""`fetch_list`, how the client commands read a paged API list."""

from __future__ import annotations

from typing import Any, cast

from hotwash.client import ApiClient
from hotwash.core.client_command import PAGE_SIZE, fetch_list


class PagedApi:
    """Answers like the API's paged lists, over `total` numbered items."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.requests: list[dict[str, Any]] = []

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        self.requests.append({"path": path, **params})
        start = (params["page"] - 1) * params["per_page"]
        end = min(start + params["per_page"], self.total)
        more = end < self.total
        return {
            "count": self.total,
            "items": list(range(start, end)),
            "next": f"{path}?page={params['page'] + 1}" if more else None,
        }


def test_a_limit_beyond_one_page_follows_the_pages() -> None:
    api = PagedApi(total=PAGE_SIZE * 2 + 50)
    answer = fetch_list(cast(ApiClient, api), "/incidents", {"status": "open"}, PAGE_SIZE + 10)
    assert answer["items"] == list(range(PAGE_SIZE + 10))
    assert answer["count"] == PAGE_SIZE * 2 + 50
    assert answer["next"] == "/incidents?page=3"
    assert [request["page"] for request in api.requests] == [1, 2]
    assert all(request["status"] == "open" for request in api.requests)


def test_a_small_limit_asks_for_a_small_page_and_stops() -> None:
    api = PagedApi(total=30)
    answer = fetch_list(cast(ApiClient, api), "/postmortems", {}, 5)
    assert answer["items"] == [0, 1, 2, 3, 4]
    assert api.requests == [{"path": "/postmortems", "per_page": 5, "page": 1}]


def test_the_list_ends_before_the_limit() -> None:
    api = PagedApi(total=3)
    answer = fetch_list(cast(ApiClient, api), "/action-items", {}, 0)
    assert answer["items"] == [0]  # a limit below one still shows one
    answer = fetch_list(cast(ApiClient, api), "/action-items", {}, 50)
    assert answer["items"] == [0, 1, 2] and answer["next"] is None
