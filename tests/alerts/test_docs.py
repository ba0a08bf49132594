"""docs/alerts.md keeps up with the Alertmanager payload Hotwash reads:
every field is in its table, marked required exactly when the parser
requires it, and the source link's host is explained."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from hotwash.integrations.alertmanager.parser import AlertmanagerAlert, AlertmanagerPayload

pytestmark = pytest.mark.database_independent

DOC = Path(__file__).resolve().parents[2] / "docs" / "alerts.md"
ROW = re.compile(r"^\| `([A-Za-z\[\].]+)` \| (yes|no) \|", re.MULTILINE)


def section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def documented() -> dict[str, bool]:
    rows = ROW.findall(section("Prometheus Alertmanager"))
    return {name: flag == "yes" for name, flag in rows}


def fields(model: type[BaseModel], prefix: str = "") -> dict[str, bool]:
    return {f"{prefix}{name}": info.is_required() for name, info in model.model_fields.items()}


def test_every_alertmanager_field_is_documented_with_whether_it_is_required() -> None:
    expected = {**fields(AlertmanagerPayload), **fields(AlertmanagerAlert, "alerts[].")}
    assert documented() == expected


def test_it_says_where_the_source_links_host_comes_from() -> None:
    text = section("Prometheus Alertmanager")
    assert "--web.external-url" in text
    assert "generatorURL" in text
