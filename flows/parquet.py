"""Exported articles as a Parquet file: an explicit schema, written in record batches.

The records are those of :func:`storage.export_articles`, the JSON lines of
``wiredupe export``, with typed columns: ids are int64, times are UTC
timestamps (microseconds), a copy's ``changes`` is a struct of
:class:`dedupe.CopyChanges`' fields. No field of an article record is a list.
pyarrow is imported only here, and only ``export --format parquet`` imports this.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["ARTICLE_SCHEMA", "BATCH_ROWS", "write_parquet"]

# Articles per row group: 10,000 of a few kB each make a row group of tens of MB,
# which readers can take one at a time, and memory stays flat.
BATCH_ROWS = 10_000
# Records turned into Arrow columns at a time. A record is about 10 kB of Python
# objects (text as str) against 5 kB in Arrow: a row group is gathered as Arrow
# columns, never as 10,000 records (which cost about 300 MB more at peak).
_CONVERT_ROWS = 1_000

# zstd: 100,000 exported articles take 93 MB against 165 MB with the default
# snappy, written as fast; pyarrow, pandas, polars, DuckDB and Spark all read it.
_COMPRESSION = "zstd"

_UTC = pa.timestamp("us", tz="UTC")

# What a copy changed against its origin: dedupe's CopyChanges fields, then the
# summary line and the origin they were computed against (flows.grouping).
_CHANGES = pa.struct(
    [
        pa.field("headline_changed", pa.bool_()),
        pa.field("paragraphs_kept", pa.int64()),
        pa.field("paragraphs_edited", pa.int64()),
        pa.field("paragraphs_cut", pa.int64()),
        pa.field("paragraphs_added", pa.int64()),
        pa.field("kept_share", pa.float64()),
        pa.field("words_changed", pa.int64()),
        pa.field("summary", pa.string()),
        pa.field("origin_id", pa.int64()),
    ]
)

ARTICLE_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("author", pa.string()),
        pa.field("published", _UTC),
        pa.field("fetched", _UTC, nullable=False),
        pa.field("language", pa.string()),
        pa.field("group_id", pa.int64()),
        pa.field("is_origin", pa.bool_(), nullable=False),
        pa.field("agency", pa.string()),
        pa.field("credited_agency", pa.string()),
        pa.field("agency_evidence", pa.string()),
        pa.field("similarity", pa.float64()),
        pa.field("changes", _CHANGES),
        pa.field("text", pa.string(), nullable=False),
    ],
    metadata={"wiredupe": "exported articles, one row per article (wiredupe export)"},
)
"""The columns of an exported article, in the order of its JSON line."""


def _table(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """One batch of records as a table of ``schema``.

    Times arrive as ISO 8601 strings with their offset (the JSON lines' form) and
    are parsed by Arrow's cast, column by column.
    """
    columns = []
    for f in schema:
        values = [row[f.name] for row in rows]
        if pa.types.is_timestamp(f.type):
            columns.append(pa.array(values, pa.string()).cast(f.type))
        else:
            columns.append(pa.array(values, f.type))
    # A table, not a record batch: a column over 2 GB comes back chunked, which a
    # table holds and a record batch does not.
    return pa.Table.from_arrays(columns, schema=schema)


def _write_group(writer: pq.ParquetWriter, tables: list[pa.Table]) -> None:
    """Write ``tables`` as one row group (each ``write_table`` call starts a new one)."""
    table = pa.concat_tables(tables)
    writer.write_table(table, row_group_size=table.num_rows)


def write_parquet(
    records: Iterable[dict[str, Any]],
    where: Path | BinaryIO,
    *,
    schema: pa.Schema = ARTICLE_SCHEMA,
    batch_rows: int = BATCH_ROWS,
) -> int:
    """Write exported article records as a Parquet file; return the count.

    The records are turned into Arrow columns a thousand at a time and written
    ``batch_rows`` at a time (one row group each), so memory does not grow with
    their number. No records still make a valid file: the schema and no rows.

    Args:
        records: article records, as :func:`storage.export_articles` yields them.
        where: the file to write (replaced if it exists), or a binary file open
            for writing (left open).
        schema: the columns; each record must have every one of them.
        batch_rows: records per row group.

    Returns:
        The number of records written.

    Raises:
        OSError: the file cannot be written (pyarrow's I/O errors are ``OSError``).
        ValueError: ``batch_rows`` is not positive.

    Example:
        >>> write_parquet([], Path("none.parquet"))
        0
        >>> pq.read_table("none.parquet").schema == ARTICLE_SCHEMA
        True
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, not {batch_rows}")
    rows_left = iter(records)
    n = held = 0
    group: list[pa.Table] = []
    sink = str(where) if isinstance(where, Path) else where
    with pq.ParquetWriter(sink, schema, compression=_COMPRESSION) as writer:
        while rows := list(islice(rows_left, min(_CONVERT_ROWS, batch_rows - held))):
            group.append(_table(rows, schema))
            held += len(rows)
            n += len(rows)
            if held == batch_rows:
                _write_group(writer, group)
                group, held = [], 0
        if group:
            _write_group(writer, group)
    return n
