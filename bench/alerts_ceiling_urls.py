"""The storage ceiling: a view that does nothing but commit one raw SQL
upsert per request, on the same server stack (granian, Django's WSGI handler
and middleware, the same database settings) as Hotwash's alert webhooks.
bench/alerts.py serves it with alerts_ceiling_settings; it is not part of
the product."""

from __future__ import annotations

import threading

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.csrf import csrf_exempt

from hotwash.urls import urlpatterns as hotwash_urlpatterns

TABLE = "bench_ceiling"
_created = threading.Event()
_create_lock = threading.Lock()


def _ensure_table() -> None:
    if _created.is_set():
        return
    with _create_lock, connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (key varchar(100) PRIMARY KEY, n integer NOT NULL)"
        )
        _created.set()


@csrf_exempt
def upsert(request: HttpRequest, key: str) -> HttpResponse:
    _ensure_table()
    request.body  # noqa: B018 - read it, as a webhook does (and keep-alive needs)
    # The same transaction shape as an alert webhook: on SQLite BEGIN
    # IMMEDIATE ... COMMIT, on PostgreSQL BEGIN ... COMMIT.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (key, n) VALUES (%s, 1) "
            f"ON CONFLICT (key) DO UPDATE SET n = {TABLE}.n + 1",
            [key],
        )
    return HttpResponse(b'{"ok": true}', content_type="application/json")


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/ceiling/<str:key>", upsert),
    *hotwash_urlpatterns,
]
