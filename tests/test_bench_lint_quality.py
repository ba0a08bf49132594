"""The blameless-language bench stays usable: its labelled sentences are
well-formed and balanced, and bench/lint_quality.py still runs and prints
precision and recall. It never asserts the figures themselves: those are
measurements for the engine's authors (see bench/README.md)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPT = BENCH / "lint_quality.py"
CATEGORIES = {"naming", "human-error", "counterfactual", "judgement", "blame", "why-question"}
FIELDS = {"text", "blameful", "category", "names", "note"}


def engine_available() -> bool:
    try:
        return importlib.util.find_spec("hotwash.blameless.engine") is not None
    except ModuleNotFoundError:
        return False


needs_engine = pytest.mark.skipif(
    not engine_available(),
    reason="hotwash.blameless.engine is not importable yet: the linter has not landed",
)


def rows(language: str) -> list[dict[str, Any]]:
    path = BENCH / "data" / f"blameless_{language}.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_each_row_is_valid(language: str) -> None:
    for number, row in enumerate(rows(language), start=1):
        where = f"{language} row {number}: {row!r}"
        assert set(row) <= FIELDS and {"text", "blameful", "category", "names"} <= set(row), where
        assert isinstance(row["text"], str), where
        assert row["text"] == row["text"].strip() and row["text"], where
        assert isinstance(row["blameful"], bool), where
        if row["blameful"]:
            assert row["category"] in CATEGORIES, where
        else:
            assert row["category"] is None, where
        assert isinstance(row["names"], list), where
        assert all(isinstance(n, str) and n.strip() for n in row["names"]), where
        assert isinstance(row.get("note", ""), str), where


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_set_is_big_balanced_and_covers_every_category(language: str) -> None:
    data = rows(language)
    assert len(data) >= 200
    blameful = sum(row["blameful"] for row in data)
    assert 0.35 <= blameful / len(data) <= 0.6, (blameful, len(data))
    per_category = Counter(row["category"] for row in data if row["blameful"])
    assert set(per_category) == CATEGORIES
    assert min(per_category.values()) >= 10, per_category
    # Tricky look-alikes: blameless rows that are explained.
    assert sum(1 for row in data if not row["blameful"] and row.get("note")) >= 40


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_text_appears_twice(language: str) -> None:
    texts = Counter(" ".join(row["text"].split()).casefold() for row in rows(language))
    assert [text for text, count in texts.items() if count > 1] == []


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_engine
def test_the_bench_runs_on_a_small_subset_and_prints_its_figures() -> None:
    result = run("--limit", "4", "--runs", "2", "--warmup", "1", "--verbose")
    assert result.returncode == 0, result.stdout + result.stderr
    for language in ("en", "fr"):
        assert f"== {language}: 8 sentences" in result.stdout
    assert result.stdout.count("precision") >= 4
    assert result.stdout.count("recall") >= 4
    assert "counts: TP" in result.stdout
    assert "p95" in result.stdout


def test_malformed_data_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "blameless_en.jsonl").write_text(
        '{"text": "Sam broke it.", "blameful": true, "category": "nonsense", "names": []}\n',
        encoding="utf-8",
    )
    result = run("--language", "en", "--data-dir", str(tmp_path), "--no-speed")
    assert result.returncode != 0
    assert "category" in result.stderr
