"""Helpers shared by the bench scripts (run as scripts, so imported as `_common`)."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


def setup_django() -> None:
    """Configure Django for a bench script run outside `hotwash`'s CLI.

    Uses the DATABASE_URL (and HOTWASH_* variables) of the environment, like
    the server does."""
    src = REPO_DIR / "src"
    if str(src) not in sys.path:
        # Works from a checkout even if the package is not installed.
        sys.path.insert(0, str(src))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotwash.settings")
    # Debug mode keeps a formatted copy of every SQL statement: measurable
    # overhead when writing millions of rows, and not how production runs.
    os.environ.setdefault("HOTWASH_DEBUG", "0")
    import django

    django.setup()


def percentile(values: Sequence[float], pct: float) -> float:
    """The `pct` percentile (0-100) by the nearest-rank method: a value that
    was really observed, so p99 of 100 samples is the second-worst one."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def parse_int_list(text: str) -> list[int]:
    """'1000,100_000' or '1k,100k' -> [1000, 100000]."""
    numbers = []
    for item in text.split(","):
        item = item.strip().lower().replace("_", "")
        if not item:
            continue
        factor = 1
        if item.endswith("k"):
            factor, item = 1000, item[:-1]
        elif item.endswith("m"):
            factor, item = 1_000_000, item[:-1]
        numbers.append(int(float(item) * factor))
    return numbers
