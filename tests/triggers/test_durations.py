"""Durations in trigger and alert messages are exact and said the way people
say them, in English and in French."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from hotwash.triggers.durations import exact_duration

pytestmark = pytest.mark.database_independent


@pytest.mark.parametrize(
    ("seconds", "english", "french"),
    [
        (0, "0 s", "0 s"),
        (45, "45 s", "45 s"),
        (60, "1 min", "1 min"),
        (90, "90 s", "90 s"),
        (120, "2 min", "2 min"),
        (150, "2 min 30 s", "2 min 30 s"),
        (3600, "1 h", "1 h"),
        (5400, "1 h 30 min", "1 h 30 min"),
        (7200, "2 h", "2 h"),
        (86400, "1 d", "1 j"),
        (86405, "1 d 5 s", "1 j 5 s"),
        (2 * 86400 + 3 * 3600, "2 d 3 h", "2 j 3 h"),
    ],
)
def test_it_gives_the_duration_exactly(seconds: int, english: str, french: str) -> None:
    with translation.override("en"):
        assert exact_duration(timedelta(seconds=seconds)) == english
        assert exact_duration(seconds) == english
    with translation.override("fr"):
        assert exact_duration(timedelta(seconds=seconds)) == french


def test_a_negative_duration_is_none() -> None:
    with translation.override("en"):
        assert exact_duration(timedelta(seconds=-5)) == "0 s"
