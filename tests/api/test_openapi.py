"""The OpenAPI document and the docs page: complete, and served locally."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("post", "/api/v1/incidents"),
    ("get", "/api/v1/incidents"),
    ("get", "/api/v1/incidents/{ref}"),
    ("patch", "/api/v1/incidents/{ref}"),
    ("get", "/api/v1/incidents/{ref}/catchup"),
    ("get", "/api/v1/incidents/{ref}/timeline"),
    ("post", "/api/v1/incidents/{ref}/timeline"),
    ("patch", "/api/v1/incidents/{ref}/timeline/{entry_id}"),
    ("get", "/api/v1/incidents/{ref}/timeline/{entry_id}/history"),
    ("get", "/api/v1/incidents/{ref}/roles"),
    ("put", "/api/v1/incidents/{ref}/roles/{role}"),
    ("get", "/api/v1/incidents/{ref}/participants"),
    ("post", "/api/v1/incidents/{ref}/participants"),
    ("get", "/api/v1/incidents/{ref}/tasks"),
    ("post", "/api/v1/incidents/{ref}/tasks"),
    ("post", "/api/v1/incidents/{ref}/tasks/{task_id}/done"),
    ("get", "/api/v1/incidents/{ref}/updates"),
    ("post", "/api/v1/incidents/{ref}/updates"),
    ("get", "/api/v1/severities"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/lint"),
    ("post", "/api/v1/redact"),
    ("get", "/api/v1/postmortems/{ref}/public-version"),
    ("post", "/api/v1/postmortems/{ref}/public-version"),
    ("put", "/api/v1/postmortems/{ref}/public-version/title"),
    ("post", "/api/v1/postmortems/{ref}/public-version/confirm"),
}
# Each domain area lists its own operations, one "method /path" per line, in
# tests/api/operations/<area>.txt.
for listing in sorted((Path(__file__).parent / "operations").glob("*.txt")):
    for line in listing.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            method, route = line.split()
            OPERATIONS.add((method.lower(), route))


@pytest.fixture
def schema(db: None) -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document: dict[str, Any] = json.loads(response.content)
    return document


def operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def test_it_is_an_openapi_3_document_listing_every_operation(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Hotwash API"
    assert "Bearer" in schema["info"]["description"]
    assert set(operations(schema)) == OPERATIONS


def test_every_operation_has_a_title_a_description_and_an_id(schema: dict[str, Any]) -> None:
    for key, operation in operations(schema).items():
        assert operation["summary"][0].isupper(), key
        assert len(operation["description"]) > 40, key
        assert re.fullmatch(r"[a-z_]+", operation["operationId"]), key
        assert operation["tags"], key


def test_every_operation_documents_its_errors_and_security(schema: dict[str, Any]) -> None:
    for key, operation in operations(schema).items():
        for status in ("401", "404", "422"):
            assert operation["responses"][status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }, key
        schemes = schema["components"]["securitySchemes"]
        security = operation["security"]
        assert security, key
        if {"TokenAuth": []} not in security:
            # Webhooks authenticate as their sender (an alert source's token,
            # a tracker's signature) with a scheme of their own, documented.
            assert all(name in schemes for requirement in security for name in requirement), key
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}


def test_every_field_and_parameter_is_described(schema: dict[str, Any]) -> None:
    for name, component in schema["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field}"
    for key, operation in operations(schema).items():
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), (key, parameter["name"])


def test_declaring_needs_only_a_title(schema: dict[str, Any]) -> None:
    assert schema["components"]["schemas"]["IncidentCreate"]["required"] == ["title"]


def test_the_docs_page_uses_no_cdn(db: None) -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hotwash API" in html
    for cdn in ("cdn.jsdelivr", "unpkg", "cdnjs", "googleapis"):
        assert cdn not in html
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "/api/v1/openapi.json" in html
