"""``wiredupe export``: JSON lines, CSV and Parquet of the same records, filtered alike."""

from __future__ import annotations

import csv
import dataclasses
import errno
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import storage
from dedupe import CopyChanges
from flows.errors import WiredupeError
from flows.output import write_export
from flows.parquet import ARTICLE_SCHEMA, write_parquet
from tests.conftest import migrated_sessions
from tests.flows.test_cli import wiredupe
from tests.storage.test_export_articles import FORMULA, HOSTILE, copy_changes, fill_store


@pytest.fixture
def store(db_url: str) -> tuple[str, dict[str, int]]:
    """A store (SQLite, and PostgreSQL when enabled) with test_export_articles' articles."""
    with migrated_sessions(db_url) as sessions:
        return db_url, fill_store(sessions)


def _export(cwd: Path, db: str, *args: str) -> list[dict[str, Any]]:
    out = wiredupe("export", "--db", db, *args, cwd=cwd).stdout
    return [json.loads(line) for line in out.splitlines()]


def _parquet(cwd: Path, db: str, *args: str) -> pa.Table:
    path = cwd / "articles.parquet"
    proc = wiredupe("export", "--db", db, "--format", "parquet", "-o", str(path), *args, cwd=cwd)
    table = pq.read_table(path)
    assert f"wrote {table.num_rows} articles to {path}" in proc.stderr
    return table


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    """A Parquet row as its JSON line says it: times as ISO 8601."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def test_parquet_reads_back_as_the_json_lines(
    tmp_path: Path, store: tuple[str, dict[str, int]]
) -> None:
    db, ids = store
    lines = _export(tmp_path, db)
    table = _parquet(tmp_path, db)
    assert table.schema == ARTICLE_SCHEMA, "the explicit schema, metadata and nullability"
    rows = table.to_pylist()
    assert [_as_json(r) for r in rows] == lines
    assert table.column_names == list(lines[0]), "the columns in the JSON lines' order"

    by_id = {r["id"]: r for r in rows}
    origin, copy, undated = (by_id[ids[n]] for n in ("afp-origin", "afp-copy", "afp-undated"))
    assert origin["title"] == HOSTILE, "stored and exported as text, never interpreted"
    assert copy["title"] == "Foxconn s'associe à OpenAI — 鸿海精密, «IA»"
    assert copy["text"] == "Le texte: café, 東京, emoji 🚀, a\ttab and\na new line."
    assert copy["changes"] == copy_changes(ids["afp-origin"])
    assert copy["published"].tzinfo is not None and copy["published"].utcoffset().seconds == 0
    assert undated["published"] is None and undated["author"] is None
    assert origin["changes"] is None and by_id[ids["pending"]]["group_id"] is None
    assert table.schema.field("fetched").type == pa.timestamp("us", tz="UTC")


def test_the_schema_follows_the_records_and_the_copy_changes(
    tmp_path: Path, sqlite_url: str
) -> None:
    with migrated_sessions(sqlite_url) as sessions:
        fill_store(sessions)
        with sessions() as s:
            record = next(storage.export_articles(s))
    assert ARTICLE_SCHEMA.names == list(record), (
        "an exported record's fields changed: change flows.parquet.ARTICLE_SCHEMA with them"
    )
    changes = ARTICLE_SCHEMA.field("changes").type
    expected = [f.name for f in dataclasses.fields(CopyChanges)] + ["summary", "origin_id"]
    assert [changes.field(i).name for i in range(changes.num_fields)] == expected, (
        "dedupe.CopyChanges changed: change the changes struct of flows.parquet with it"
    )


def test_records_stream_in_row_groups(tmp_path: Path) -> None:
    pulled: list[int] = []

    def records() -> Iterator[dict[str, Any]]:
        for i in range(5):
            pulled.append(i)
            yield {
                "id": i, "url": f"https://a.example/{i}", "source": "a", "title": None,
                "author": None, "published": None, "fetched": "2025-11-21T06:00:00+00:00",
                "language": None, "group_id": None, "is_origin": False, "agency": None,
                "credited_agency": None, "agency_evidence": None, "similarity": None,
                "changes": None, "text": "t",
            }  # fmt: skip

    path = tmp_path / "five.parquet"
    assert write_parquet(records(), path, batch_rows=2) == 5
    meta = pq.ParquetFile(path).metadata
    assert (meta.num_rows, meta.num_row_groups) == (5, 3), "one row group per batch of 2"
    with pytest.raises(ValueError, match="batch_rows must be at least 1"):
        write_parquet([], path, batch_rows=0)


def test_an_empty_store_exports_valid_empty_files(tmp_path: Path, sqlite_url: str) -> None:
    assert _export(tmp_path, sqlite_url) == []
    table = _parquet(tmp_path, sqlite_url)
    assert table.num_rows == 0 and table.schema == ARTICLE_SCHEMA


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--since", "2025-11-21T07:00"], ["afp-copy", "afp-undated", "pending"]),
        (["--until", "2025-11-21T06:00Z"], ["afp-origin", "reuters-alone"]),
        # Until a date is until that day's end: the 21st's copy is in, not the 22nd's.
        (["--until", "2025-11-21"], ["afp-origin", "afp-copy", "reuters-alone"]),
        (["--source", "southern"], ["afp-copy", "pending"]),
        (["--search", '"text of" afp*'], ["afp-origin", "afp-undated"]),
        (["--agency", "afp"], ["afp-origin", "afp-copy", "afp-undated"]),
        (["--min-size", "2"], ["afp-origin", "afp-copy", "afp-undated"]),
        (["--source", "spacewar", "--min-size", "2", "--since", "2025-11-01"], ["afp-origin"]),
    ],
)
def test_each_filter_narrows_the_export(
    tmp_path: Path, sqlite_url: str, args: list[str], expected: list[str]
) -> None:
    with migrated_sessions(sqlite_url) as sessions:
        ids = fill_store(sessions)
    names = {i: name for name, i in ids.items()}
    assert [names[r["id"]] for r in _export(tmp_path, sqlite_url, *args)] == expected


def test_parquet_takes_the_same_filters(tmp_path: Path, sqlite_url: str) -> None:
    with migrated_sessions(sqlite_url) as sessions:
        ids = fill_store(sessions)
    filters = ["--source", "spacewar", "--agency", "AFP", "--min-size", "2"]
    table = _parquet(tmp_path, sqlite_url, *filters, "--until", "2025-11-22")
    assert table.column("id").to_pylist() == [ids["afp-origin"]]


def test_csv_cells_cannot_run_as_formulas(tmp_path: Path, sqlite_url: str) -> None:
    with migrated_sessions(sqlite_url) as sessions:
        ids = fill_store(sessions)
    out = wiredupe("export", "--db", sqlite_url, "--format", "csv", cwd=tmp_path).stdout
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(out))}
    assert rows[ids["pending"]]["title"] == "'" + FORMULA, "a scraped formula stays text"
    assert rows[ids["afp-origin"]]["title"] == HOSTILE
    copy = rows[ids["afp-copy"]]
    assert json.loads(copy["changes"]) == copy_changes(ids["afp-origin"]), "JSON, not a repr"
    assert copy["text"] == "Le texte: café, 東京, emoji 🚀, a\ttab and\na new line."
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows.values() for v in r.values())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "parquet"], "parquet is binary: give --output FILE"),
        (["--since", "someday"], "'someday' is not a date"),
        (["--until", "2025-13-01"], "is not a date"),
        (["--min-size", "0"], "--min-size"),
        (["--format", "parquet", "-o", "no/a.parquet"], "cannot write no/a.parquet: No such file"),
        (["-o", "."], "cannot write .: Is a directory"),
    ],
)  # fmt: skip
def test_export_errors_are_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    db = f"sqlite:///{tmp_path / 'wiredupe.db'}"
    proc = wiredupe("export", "--db", db, *args, cwd=tmp_path, check=False)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_a_failed_export_leaves_the_previous_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"articles.{fmt}"
    out.write_text("the previous export\n", encoding="utf-8")

    def records() -> Iterator[dict[str, Any]]:
        yield {"id": 1}
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(WiredupeError, match=f"cannot write {out}: No space left on device"):
        write_export(records(), fmt, out)
    assert out.read_text(encoding="utf-8") == "the previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == [out.name], "no partial file left behind"
