"""Each database's full-text search, behind three functions: `write` and
`delete` keep the words of index rows current, `candidates` finds and ranks.

PostgreSQL: two stored tsvector columns, `vec_en` and `vec_fr`, each with a
GIN index, made with `to_tsvector('english' | 'french', unaccent(text))`,
the title weighted A and the rest D; a query is `plainto_tsquery` in both
configurations (every word must match, in one language's stemming or the
other's), ranked by the greater `ts_rank`.

SQLite: two FTS5 tables, `search_fts_en` and `search_fts_fr` (rowid = the
document's id), whose columns hold the title and the body stemmed in that
language by hotwash.search.text (FTS5 has no French stemmer); a query is
the same words stemmed the same way, run against each table, ranked by
bm25 (title weighted), the better of the two scores counting. One table
per language keeps each query a plain match of its words, without column
filters, which bm25 would check in every matching row.

Both rank only candidates: the newest CANDIDATES rows that match and that
the reader may see, chosen by the database (a common word matches most of
the index; ranking all of it would read every row). Fewer match for any
word precise enough to be worth ranking, and those are all ranked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from django.db import connection

from hotwash.incidents.models import Participant
from hotwash.search import text

# How many matching rows are ranked at most (and counted: beyond, the
# count is a lower bound): fifteen pages of twenty. Scoring is most of a
# common word's cost, so this keeps a search at 100,000 incidents within
# twice its time at 1,000 (bench/search.py: with 1,000 candidates it took
# 2.1 to 2.2 times as long).
CANDIDATES = 300
# A body longer than this is cut before it is indexed: a tsvector holds at
# most 1 MB, and the words past this point rarely decide a search.
BODY_LIMIT = 200_000
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0
# Rows per INSERT when many documents are written at once (a rebuild).
BATCH = 500

Mode = Literal["all", "any"]


@dataclass(frozen=True)
class Doc:
    """One index row, as hotwash.search.index builds it."""

    kind: str
    object_id: int
    incident_id: int | None
    private: bool
    incident_type: str
    occurred_at: datetime
    ref: str
    title: str
    body: str


@dataclass(frozen=True)
class Scope:
    """What a search may return, applied before ranking. `reader_id` None:
    everything (an admin); otherwise public rows and the private rows of
    incidents that person takes part in."""

    reader_id: int | None
    kinds: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    since: datetime | None = None
    before: datetime | None = None
    exclude_incidents: frozenset[int] = field(default_factory=frozenset)


class Candidate(NamedTuple):
    """A row found; a tuple, as a thousand of them are made per search."""

    id: int
    score: float  # higher is better, on either database


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- writing ------------------------------------------------------------------

_COLUMNS = (
    "kind",
    "object_id",
    "incident_id",
    "private",
    "incident_type",
    "occurred_at",
    "ref",
    "title",
    "body",
)
_PG_VECTORS = "setweight(to_tsvector('{c}', unaccent(%s)), 'A') || to_tsvector('{c}', unaccent(%s))"


def write(docs: Sequence[Doc]) -> None:
    """Insert or replace these documents and their words."""
    for start in range(0, len(docs), BATCH):
        _write_batch(docs[start : start + BATCH])


def _row(doc: Doc) -> list[Any]:
    occurred = (
        doc.occurred_at
        if _is_postgres()
        else connection.ops.adapt_datetimefield_value(doc.occurred_at)
    )
    return [
        doc.kind,
        doc.object_id,
        doc.incident_id,
        doc.private,
        doc.incident_type,
        occurred,
        doc.ref,
        doc.title[:200],
        doc.body[:BODY_LIMIT],
    ]


def _write_batch(docs: Sequence[Doc]) -> None:
    if not docs:
        return
    columns = list(_COLUMNS)
    placeholders = ["%s"] * len(columns)
    postgres = _is_postgres()
    if postgres:
        columns += ["vec_en", "vec_fr"]
        placeholders += [_PG_VECTORS.format(c="english"), _PG_VECTORS.format(c="french")]
    params: list[Any] = []
    for doc in docs:
        params += _row(doc)
        if postgres:
            title, body = doc.title[:200], doc.body[:BODY_LIMIT]
            params += [title, body, title, body]
    values = ", ".join(f"({', '.join(placeholders)})" for _ in docs)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in ("kind", "object_id"))
    sql = (
        f"INSERT INTO search_document ({', '.join(columns)}) VALUES {values}"
        f" ON CONFLICT (kind, object_id) DO UPDATE SET {updates}"
        " RETURNING id, kind, object_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = {(kind, int(object_id)): int(pk) for pk, kind, object_id in cursor.fetchall()}
        if not postgres:
            _write_fts(cursor, [(ids[(doc.kind, doc.object_id)], doc) for doc in docs])


FTS_TABLES: dict[text.Language, str] = {"en": "search_fts_en", "fr": "search_fts_fr"}


def _delete_fts(cursor: Any, rowids: list[int]) -> None:
    marks = ", ".join(["%s"] * len(rowids))
    for table in FTS_TABLES.values():
        cursor.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", rowids)


def _write_fts(cursor: Any, rows: list[tuple[int, Doc]]) -> None:
    _delete_fts(cursor, [pk for pk, _ in rows])
    for language, table in FTS_TABLES.items():
        cursor.executemany(
            f"INSERT INTO {table} (rowid, title, body) VALUES (%s, %s, %s)",
            [
                (
                    pk,
                    text.stemmed_text(doc.title, language),
                    text.stemmed_text(doc.body[:BODY_LIMIT], language),
                )
                for pk, doc in rows
            ],
        )


def delete(kind: str, object_ids: Iterable[int]) -> None:
    """Remove these documents and their words."""
    wanted = list(object_ids)
    if not wanted:
        return
    marks = ", ".join(["%s"] * len(wanted))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM search_document WHERE kind = %s AND object_id IN ({marks}) RETURNING id",
            [kind, *wanted],
        )
        rowids = [row[0] for row in cursor.fetchall()]
        if rowids and not _is_postgres():
            _delete_fts(cursor, rowids)


def clear() -> None:
    """Empty the index (before a rebuild)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_document")
        if not _is_postgres():
            for table in FTS_TABLES.values():
                cursor.execute(f"DELETE FROM {table}")


# --- searching ----------------------------------------------------------------


def candidates(
    query: str, scope: Scope, *, mode: Mode = "all", limit: int | None = None
) -> list[Candidate]:
    """The best candidates for `query` in `scope`, best first. Mode "all":
    every word must match (in one language's stemming); "any": one is
    enough (similar incidents). No word to look for: nothing. `limit`: how
    many matches are ranked (CANDIDATES by default)."""
    words = text.words(query)
    if not words:
        return []
    limit = CANDIDATES if limit is None else limit
    search = _postgres if _is_postgres() else _sqlite
    rows = search(words, scope, mode, limit)
    # Equal scores: the newer first (ids grow with time).
    rows.sort(key=lambda row: (-row[1], -row[0]))
    return [Candidate(pk, score) for pk, score in rows]


def _scope_sql(scope: Scope, participant_table: str) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if scope.reader_id is not None:
        clauses.append(
            f"(NOT d.private OR d.incident_id IN (SELECT incident_id FROM {participant_table}"
            " WHERE user_id = %s))"
        )
        params.append(scope.reader_id)
    for column, values in (("kind", scope.kinds), ("incident_type", scope.types)):
        if values:
            clauses.append(f"d.{column} IN ({', '.join(['%s'] * len(values))})")
            params += list(values)
    for operator, moment in ((">=", scope.since), ("<", scope.before)):
        if moment is not None:
            clauses.append(f"d.occurred_at {operator} %s")
            params.append(
                moment if _is_postgres() else connection.ops.adapt_datetimefield_value(moment)
            )
    if scope.exclude_incidents:
        marks = ", ".join(["%s"] * len(scope.exclude_incidents))
        clauses.append(f"NOT (d.kind = 'incident' AND d.object_id IN ({marks}))")
        params += sorted(scope.exclude_incidents)
    return "".join(f" AND {clause}" for clause in clauses), params


def _participants() -> str:
    return connection.ops.quote_name(Participant._meta.db_table)


def _postgres(words: list[str], scope: Scope, mode: Mode, limit: int) -> list[tuple[int, float]]:
    where, params = _scope_sql(scope, _participants())
    # The words are already folded (what unaccent does to the index's
    # text) and reach the query as constants, never through a function the
    # planner cannot run ahead (unaccent is only STABLE): it then knows how
    # common they are, and for a common word walks the newest rows by id
    # and stops at `limit` instead of fetching every match to sort them.
    if mode == "all":
        make, raw = "plainto_tsquery('{c}', %s)", " ".join(words)
    else:
        make, raw = "to_tsquery('{c}', %s)", " | ".join(dict.fromkeys(words))
    english, french = make.format(c="english"), make.format(c="french")
    sql = (
        f"SELECT c.id, GREATEST(ts_rank(c.vec_en, {english}), ts_rank(c.vec_fr, {french}))"
        " FROM (SELECT d.id, d.vec_en, d.vec_fr FROM search_document d"
        f" WHERE (d.vec_en @@ {english} OR d.vec_fr @@ {french}){where}"
        " ORDER BY d.id DESC LIMIT %s) c"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [raw, raw, raw, raw, *params, limit])
        return [(int(pk), float(score)) for pk, score in cursor.fetchall()]


def match_expression(words: list[str], language: text.Language, mode: Mode) -> str:
    """The FTS5 query for these folded words in one language: their stems,
    quoted (a stem is letters and digits only, so nothing in it is FTS5
    syntax); "" when every word is a stop word."""
    stems = dict.fromkeys(s for s in (text.stem(word, language) for word in words) if s)
    return (" AND " if mode == "all" else " OR ").join(f'"{s}"' for s in stems)


def _sqlite(words: list[str], scope: Scope, mode: Mode, limit: int) -> list[tuple[int, float]]:
    where, params = _scope_sql(scope, _participants())
    scores: dict[int, float] = {}
    with connection.cursor() as cursor:
        for language, table in FTS_TABLES.items():
            expression = match_expression(words, language, mode)
            if not expression:
                continue
            # bm25 is lower for a better match: negated, higher is better.
            cursor.execute(
                f"SELECT d.id, -bm25({table}, {TITLE_WEIGHT}, {BODY_WEIGHT})"
                f" FROM {table} JOIN search_document d ON d.id = {table}.rowid"
                f" WHERE {table} MATCH %s{where}"
                f" ORDER BY {table}.rowid DESC LIMIT %s",
                [expression, *params, limit],
            )
            for pk, score in cursor.fetchall():
                scores[pk] = max(score, scores.get(pk, score))
    # Each language brought its newest matches: the newest of both are kept.
    newest = sorted(scores, reverse=True)[:limit]
    return [(int(pk), float(scores[pk])) for pk in newest]
